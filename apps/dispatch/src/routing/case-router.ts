import { CommunityIndex } from './community-index.js';
import type { CommunityCandidate, RoutingDecision, RoutingInput } from './routing-types.js';

export { CommunityIndex } from './community-index.js';
export type {
  CommunityCandidate,
  CommunityRow,
  RoutingCandidate,
  RoutingDecision,
  RoutingInput,
  RoutingMethod,
} from './routing-types.js';
export { MAX_CANDIDATES, ROUTING_CONFIDENCE_THRESHOLD, ROUTING_MARGIN } from './tuning.js';

/**
 * 直达责任主体: picks the company that serves the community. Pure: the caller supplies the
 * communities; only those of the input's district can be chosen (communities of other districts,
 * if supplied, only serve the wrong-district check). Every decision says why.
 *
 * Builds a throw-away CommunityIndex per call; a long-lived caller should keep one
 * (`CommunityIndex.build(rows)`) and call `index.route(input)` instead.
 */
export function routeCase(input: RoutingInput, communities: readonly CommunityCandidate[]): RoutingDecision {
  return CommunityIndex.build(communities).route(input);
}
