import { normalizeCommunityName } from './community-name.js';

export interface CommunityCandidate {
  id: string;
  normalizedName: string;
  aliases: string[];
  districtCode: string;
  companyId: string;
  unclearOwner: boolean;
}

export interface RoutingInput {
  communityName: string;
  districtCode: string;
  namedCompanyId?: string;
}

export type RoutingDecision =
  | { kind: 'company'; companyId: string; communityId: string; reason: string; correctedNamedCompany?: string }
  | { kind: 'manual'; reason: string };

/**
 * 直达责任主体: picks the company that serves the community. Pure: the caller supplies the
 * district's communities. Every decision says why it was made.
 */
export function routeCase(input: RoutingInput, communities: CommunityCandidate[]): RoutingDecision {
  const wanted = normalizeCommunityName(input.communityName);
  const inDistrict = communities.filter((c) => c.districtCode === input.districtCode);
  const matches = inDistrict.filter(
    (c) => c.normalizedName === wanted || c.aliases.some((a) => normalizeCommunityName(a) === wanted),
  );
  if (matches.length === 0) {
    return { kind: 'manual', reason: `小区“${input.communityName}”未在该区县登记，转区县主管单位人工分转` };
  }
  if (matches.length > 1) {
    return { kind: 'manual', reason: `小区“${input.communityName}”在该区县对应多个登记小区，转区县主管单位人工分转` };
  }
  const community = matches[0];
  if (community.unclearOwner) {
    return { kind: 'manual', reason: `小区“${input.communityName}”供热责任主体未明确（三供一业移交），转区县主管单位人工分转` };
  }
  const corrected = input.namedCompanyId && input.namedCompanyId !== community.companyId ? input.namedCompanyId : undefined;
  return {
    kind: 'company',
    companyId: community.companyId,
    communityId: community.id,
    reason: corrected
      ? `按小区登记的服务范围分转；诉求人指认的企业 ${corrected} 不负责该小区，已更正`
      : '按小区登记的服务范围分转',
    ...(corrected ? { correctedNamedCompany: corrected } : {}),
  };
}
