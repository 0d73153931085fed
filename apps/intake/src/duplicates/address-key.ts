/** One comparable form of an address: "南京南街 12 号 3号楼" and "南京南街12号3号楼" are the same place. */
export function addressKey(address: { cityCode: string; districtCode: string; street: string; building?: string | null; unit?: string | null; room?: string | null }): string {
  const norm = (s?: string | null) => (s ?? '').normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]/gu, '');
  return [address.cityCode, address.districtCode, norm(address.street), norm(address.building), norm(address.unit), norm(address.room)].join('|');
}

/** Statuses in which a case is still open, so a repeat report is linked to it instead of opening a new one. */
export const OPEN_STATUSES = ['received', 'dispatched', 'feedback'] as const;
