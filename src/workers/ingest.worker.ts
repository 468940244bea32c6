// Ingest worker entry: serves the library service (the ingest pipeline, deletes, the document list) over RPC.
import { serve } from '../lib/rpc';
import { ingestHandlers } from '../lib/services/ingest-service';

serve(self, ingestHandlers());
