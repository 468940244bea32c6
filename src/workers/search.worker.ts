// Search worker entry: serves the dense, keyword and rerank indexes, and the retrieve pipeline, over RPC.
import { serve } from '../lib/rpc';
import { searchHandlers } from '../lib/services/search-service';

serve(self, searchHandlers());
