/**
 * The temperature slip (测温单) a company files with its feedback on a too-cold complaint, and what
 * it means: Liaoning's standard is ≥ 18 ℃ in bedrooms and living rooms; Shenyang refunds half of the
 * day's heating fee at 13–18 ℃ and all of it below 13 ℃ (DOMAIN.md §3 step 4).
 */

export const ROOM_TYPES = ['bedroom', 'living_room', 'other'] as const;
export type RoomType = (typeof ROOM_TYPES)[number];
export const ROOM_TYPE_LABELS: Record<RoomType, string> = { bedroom: '卧室', living_room: '客厅', other: '其他房间' };

export interface RoomReading {
  /** The room as written on the slip, e.g. 主卧. */
  room: string;
  roomType: RoomType;
  temperatureC: number;
}

export interface TemperatureSlip {
  readings: RoomReading[];
  measuredAt: string;
  /** e.g. 房间中央，距地面 1.2 米，门窗关闭 30 分钟以上. */
  measuringPoint: string;
  instrument: string;
  measurer: string;
  residentAcknowledged: boolean;
  photoIds: string[];
}

/** The standard for bedrooms and living rooms (Liaoning). */
export const STANDARD_MIN_C = 18;
/** Below this, Shenyang refunds the whole day's fee; from here up to the standard, half. */
export const FULL_REFUND_BELOW_C = 13;

export interface SlipAssessment {
  /** The lowest reading in a bedroom or living room (the rooms the standard covers); null if none. */
  lowestStandardRoomC: number | null;
  meetsStandard: boolean;
  /** 0, 50 or 100 (% of the day's heating fee), Shenyang's rule. */
  refundPercent: 0 | 50 | 100;
  /** The assessment in plain Chinese for the case record. */
  summary: string;
}

export function assessSlip(readings: RoomReading[]): SlipAssessment {
  const covered = readings.filter((r) => r.roomType !== 'other').map((r) => r.temperatureC);
  if (covered.length === 0) {
    return { lowestStandardRoomC: null, meetsStandard: false, refundPercent: 0, summary: '测温单未包含卧室或客厅读数，无法判定是否达标' };
  }
  const lowest = Math.min(...covered);
  if (lowest >= STANDARD_MIN_C) {
    return { lowestStandardRoomC: lowest, meetsStandard: true, refundPercent: 0, summary: `卧室、客厅最低 ${lowest}℃，达到 ${STANDARD_MIN_C}℃ 标准` };
  }
  const refundPercent = lowest < FULL_REFUND_BELOW_C ? 100 : 50;
  return {
    lowestStandardRoomC: lowest,
    meetsStandard: false,
    refundPercent,
    summary: `卧室、客厅最低 ${lowest}℃，低于 ${STANDARD_MIN_C}℃ 标准；按沈阳市规定退还当日热费的 ${refundPercent}%`,
  };
}
