// Late-interaction worker entry: serves the ColBERT-style encoder over RPC, its calls watched by its owner.
import { serve, toOwner } from '../lib/rpc';
import * as late from '../lib/models/late-interaction/transformers-late-interaction';

serve(self, late.lateInteractionHandlers(new late.TransformersLateInteraction(toOwner(self))), { owner: self });
