// Generator worker entry: serves the transformers.js generator over RPC, its calls watched by its owner.
import { serve, toOwner } from '../lib/rpc';
import { TransformersGenerator, generatorHandlers } from '../lib/models/generator/transformers-generator';

serve(self, generatorHandlers(new TransformersGenerator(toOwner(self))), { owner: self });
