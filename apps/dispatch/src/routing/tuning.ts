/*
 * Every number that decides whether a case is routed automatically. Tuned with bench/routing.ts on
 * the demo registry (typo set, unknown names, wrong districts) and the cases in
 * community-index.spec.ts; docs/routing.md explains each one and how to re-tune.
 */

/**
 * A similar (non-exact) match is routed automatically only at or above this confidence. 0.80 lets
 * through one homophone / look-alike character in a two-character name (锦秀 → 锦绣: 0.825), a
 * mistyped suffix (幸福小去 → 幸福小区: 0.95), a missing phase when only one phase is registered
 * (0.88), and one arbitrary wrong character only in names of five or more characters (0.80); it
 * keeps out one arbitrary wrong character in names of two to four characters (幸运 vs 幸福: 0.50,
 * 阳光一品 vs 阳光一百: 0.75), a lost character in a short name, and two slips at once.
 */
export const ROUTING_CONFIDENCE_THRESHOLD = 0.8;

/**
 * The best similar match must beat the runner-up (another community) by at least this much.
 * 0.10 is below the smallest gap that one missing phase makes (0.12), so 「幸褔小区」 still picks
 * 「幸福小区」 over 「幸福家园二期」, and above the gaps between equally plausible readings (two
 * phases of one name, two homophones), which are 0.
 */
export const ROUTING_MARGIN = 0.1;

/** How many ranked candidates a decision carries (shown to the authority on manual dispatch). */
export const MAX_CANDIDATES = 5;

/** Edit cost of substituting a commonly confused character (homophone / look-alike, char-tables.ts). */
export const CONFUSABLE_SUBSTITUTION_COST = 0.35;

/** Edit cost of two neighbouring characters swapped (幸福 ↔ 福幸). Any other edit costs 1. */
export const TRANSPOSITION_COST = 0.5;

/** Weight of a generic suffix character (小区, 花园 …) relative to a core character (1). */
export const SUFFIX_CHAR_WEIGHT = 0.5;

/** The resident gave no phase/section, the registered community has one (幸福小区 vs 幸福小区三期). */
export const MISSING_DESIGNATION_PENALTY = 0.12;

/** The resident gave a phase/section the registered community does not have: likely another one. */
export const EXTRA_DESIGNATION_PENALTY = 0.25;

/** Both have a phase/section and they differ (一期 vs 三期): a different community. */
export const CONFLICTING_DESIGNATION_PENALTY = 0.5;

/** The name ends in a mistyped suffix (小去 for 小区, 花圆 for 花园) that was read as that suffix. */
export const MISTYPED_SUFFIX_PENALTY = 0.05;

/**
 * The match needed a generic suffix on one side read against part of the name on the other
 * (「幸福家园」 vs the registered 「幸福嘉园」, whose 嘉园 is not a listed suffix): less sure than a
 * match of the cores.
 */
export const SPLIT_SUFFIX_PENALTY = 0.05;
