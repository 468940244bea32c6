// Search worker entry: serves the dense, keyword and rerank indexes, and retrieval, its calls watched by its owner.
import { serve } from '../lib/rpc';
import { searchHandlers } from '../lib/services/search-service';

serve(self, searchHandlers(), { owner: self });
