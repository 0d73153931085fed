import { describe, expect, it } from '@jest/globals';
import { assessSlip } from './temperature-slip.js';
import type { RoomReading } from './temperature-slip.js';

const bedroom = (t: number): RoomReading => ({ room: '主卧', roomType: 'bedroom', temperatureC: t });
const living = (t: number): RoomReading => ({ room: '客厅', roomType: 'living_room', temperatureC: t });
const kitchen = (t: number): RoomReading => ({ room: '厨房', roomType: 'other', temperatureC: t });

describe('a temperature slip is judged on the coldest bedroom or living room (Shenyang refund rule)', () => {
  it('18 ℃ exactly meets the standard: no refund', () => {
    expect(assessSlip([bedroom(18), living(20)])).toMatchObject({ meetsStandard: true, refundPercent: 0, lowestStandardRoomC: 18 });
  });

  it('17.9 ℃ in one bedroom misses it: half of the day’s fee', () => {
    expect(assessSlip([bedroom(17.9), living(21)])).toMatchObject({ meetsStandard: false, refundPercent: 50, lowestStandardRoomC: 17.9 });
  });

  it('13 ℃ exactly is still the half band', () => {
    expect(assessSlip([living(13)]).refundPercent).toBe(50);
  });

  it('12.9 ℃ is below 13 ℃: the whole day’s fee', () => {
    expect(assessSlip([bedroom(12.9), living(19)]).refundPercent).toBe(100);
  });

  it('a cold kitchen does not count against the standard rooms', () => {
    expect(assessSlip([bedroom(19), kitchen(10)])).toMatchObject({ meetsStandard: true, refundPercent: 0 });
  });

  it('a slip with no bedroom or living room reading cannot be judged as meeting the standard', () => {
    expect(assessSlip([kitchen(22)])).toMatchObject({ meetsStandard: false, lowestStandardRoomC: null, refundPercent: 0 });
  });

  it('the summary names the lowest reading and the refund share in Chinese', () => {
    expect(assessSlip([bedroom(15.5)]).summary).toBe('卧室、客厅最低 15.5℃，低于 18℃ 标准；按沈阳市规定退还当日热费的 50%');
  });
});
