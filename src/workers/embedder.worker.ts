// Embedder worker entry: serves the transformers.js embedder over RPC.
import { serve } from '../lib/rpc';
import { embedderHandlers } from '../lib/models/embedder/transformers-embedder';

serve(self, embedderHandlers());
