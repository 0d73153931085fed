import { Column, Entity, PrimaryColumn } from 'typeorm';

/** 供热主管单位: city- or county-level heating authority. */
@Entity('authority')
export class Authority {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') level: 'city' | 'county';
  /** GB/T 2260 code of the region it supervises (6 digits). */
  @Column('text', { name: 'region_code' }) regionCode: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
}

/** 供热企业: receives cases for the communities its stations serve. */
@Entity('company')
export class Company {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
  /** Where signed webhooks go; null = the company pulls its cases through the API. */
  @Column('text', { name: 'webhook_url', nullable: true }) webhookUrl: string | null;
  /** Standard Webhooks secret (whsec_…), shown to the company once when set. */
  @Column('text', { name: 'webhook_secret', nullable: true }) webhookSecret: string | null;
}

/** 换热站: heat-exchange station run by one company. */
@Entity('station')
export class Station {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
}

/** 小区: community served by a station; `unclearOwner` marks 三供一业 hand-overs. */
@Entity('community')
export class Community {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'normalized_name' }) normalizedName: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
  @Column('text', { name: 'station_id' }) stationId: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('boolean', { name: 'unclear_owner', default: false }) unclearOwner: boolean;
  @Column('text', { array: true, default: () => "'{}'" }) aliases: string[];
}
