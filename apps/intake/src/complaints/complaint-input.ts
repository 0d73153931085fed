import type { CaseType, Category, Channel } from '#shared';
import type { ComplaintFieldsDto } from './create-complaint.dto.js';

/** A complaint as any channel hands it to intake, after its own validation and authentication. */
export interface ComplaintInput {
  channel: Channel;
  /** Verified phone: caller ID (hotline) or the resident token's number (web, app, open311). */
  phone: string;
  /** Who recorded it: the operator's id, `resident`, or `open311:<client>`. */
  recordedBy: string;
  type: CaseType;
  category: Category;
  communityName: string;
  address: { cityCode: string; districtCode: string; street: string; building?: string; unit?: string; room?: string };
  description: string;
  contactName?: string;
  namedCompanyId?: string;
  indoorTemperatureC?: number;
  daysWithoutHeat?: number;
  /** A consultation answered on the call (hotline only): recorded and closed at intake. */
  answer?: string;
  photoIds?: string[];
  coordinates?: { latitude: number; longitude: number };
}

export type RecordOutcome = 'created' | 'duplicate' | 'replayed';

/** The fields every channel shares, from a validated DTO. */
export function fieldsOf(dto: ComplaintFieldsDto): Omit<ComplaintInput, 'channel' | 'phone' | 'recordedBy'> {
  return {
    type: dto.type,
    category: dto.category,
    communityName: dto.communityName,
    address: { ...dto.address },
    description: dto.description,
    contactName: dto.contactName,
    namedCompanyId: dto.namedCompanyId,
    indoorTemperatureC: dto.indoorTemperatureC,
    daysWithoutHeat: dto.daysWithoutHeat,
    photoIds: dto.photoIds,
    coordinates: dto.coordinates ? { latitude: dto.coordinates.latitude, longitude: dto.coordinates.longitude } : undefined,
  };
}
