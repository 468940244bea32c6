// Ingestion worker entry: serves parsing and chunking over RPC.
import { serve } from '../lib/rpc';
import { ingestHandlers } from '../lib/services/ingest-service';

serve(self, ingestHandlers());
