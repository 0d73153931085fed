import type { Role } from '../contracts/enums.js';

/** Who is calling, as carried by a signed bearer token. */
export interface Principal {
  /** Operator id, company staff id, resident id … */
  sub: string;
  role: Role;
  /** The unit the caller belongs to: company id (company), authority id (authority). */
  unitId?: string;
  /** GB/T 2260 code of an authority's region (city or county). */
  regionCode?: string;
  /** A resident's verified phone (resident tokens only). */
  phone?: string;
}
