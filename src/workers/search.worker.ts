// Dense-index worker entry: serves the Voy index over RPC.
import { serve } from '../lib/rpc';
import { indexHandlers } from '../lib/services/index-service';

serve(self, indexHandlers());
