/** One registered community as routing needs it (the `community` table row fits). */
export interface CommunityCandidate {
  id: string;
  /** The registered name as written; matching re-normalizes it. Falls back to normalizedName. */
  name?: string;
  normalizedName: string;
  aliases: string[];
  districtCode: string;
  companyId: string;
  /** 三供一业 hand-over with no clear owner: never routed automatically. */
  unclearOwner: boolean;
}

/** Same shape, clearer name for the rows CommunityIndex.build takes. */
export type CommunityRow = CommunityCandidate;

export interface RoutingInput {
  /** The community name as the resident (or hotline operator) wrote it. */
  communityName: string;
  /** GB/T 2260 district code the resident gave; matching never leaves this district. */
  districtCode: string;
  /** The company the resident named as responsible, if any. */
  namedCompanyId?: string;
}

/** exact: normalized name equal; alias: a registered alias equal; similar: above the threshold. */
export type RoutingMethod = 'exact' | 'alias' | 'similar' | 'manual';

/** A community the case may belong to, best first; what the authority sees on manual dispatch. */
export interface RoutingCandidate {
  communityId: string;
  /** Registered name. */
  name: string;
  companyId: string;
  /** Confidence in [0, 1] that the resident meant this community (1 = exact or alias). */
  score: number;
  /** Why it is a candidate, in Chinese. */
  why: string;
}

interface DecisionDetails {
  /** How the community was found; 'manual' when it was not decided automatically. */
  method: RoutingMethod;
  /** Confidence of the chosen community (manual: of the best candidate, 0 if none). */
  confidence: number;
  /** Up to MAX_CANDIDATES communities, best first (for 'company', the chosen one is first). */
  candidates: RoutingCandidate[];
}

export type RoutingDecision =
  | ({
      kind: 'company';
      companyId: string;
      communityId: string;
      /** Why, in Chinese (kept with the case, shown to the authority and the company). */
      reason: string;
      /** The company the resident named, when it does not serve the community and was corrected. */
      correctedNamedCompany?: string;
    } & DecisionDetails & { method: 'exact' | 'alias' | 'similar' })
  | ({ kind: 'manual'; reason: string } & DecisionDetails & { method: 'manual' });
