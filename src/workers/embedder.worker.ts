// Embedder worker entry: serves the transformers.js embedder over RPC, its calls watched by its owner.
import { serve, toOwner } from '../lib/rpc';
import { TransformersEmbedder, embedderHandlers } from '../lib/models/embedder/transformers-embedder';

serve(self, embedderHandlers(new TransformersEmbedder(toOwner(self))), { owner: self });
