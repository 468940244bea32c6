// Generator worker entry: serves the transformers.js text generator over RPC.
import { serve } from '../lib/rpc';
import { generatorHandlers } from '../lib/models/generator/transformers-generator';

serve(self, generatorHandlers());
