/** The send endpoints of the kinds beyond text and media: location, contact cards, reactions, polls. */
import type { RouteSpec } from '../http/route-spec.js';
import { contactRoutes } from './contact-routes.js';
import type { KindRouteDeps } from './kind-route.js';
import { locationRoutes } from './location-routes.js';
import type { MessageTargets } from './message-target.js';
import type { PollStore } from './poll-store.js';
import { pollRoutes } from './poll-routes.js';
import { reactionRoutes } from './reaction-routes.js';

export function kindRoutes(deps: KindRouteDeps & { targets: MessageTargets; polls: PollStore }): RouteSpec[] {
  return [...locationRoutes(deps), ...contactRoutes(deps), ...reactionRoutes(deps), ...pollRoutes(deps)];
}
