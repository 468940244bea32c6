// Late-interaction worker entry: serves the transformers.js ColBERT encoder over RPC.
import { serve } from '../lib/rpc';
import { lateInteractionHandlers } from '../lib/models/late-interaction/transformers-late-interaction';

serve(self, lateInteractionHandlers());
