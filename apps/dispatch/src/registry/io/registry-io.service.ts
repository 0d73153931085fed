import { CommunityIndexHolder } from '../../routing/community-index.holder.js';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { CLOCK, findLiaoningDivision, shanghaiDateStamp } from '#shared';
import type { Clock, Principal } from '#shared';
import { UnitScopes } from '../../access/unit-scope.js';
import type { UnitScope } from '../../access/unit-scope.js';
import { Authority, Community, Company, Station } from '../registry.entities.js';
import { KINDS } from './columns.js';
import type { RegistryKind } from './columns.js';
import { ImportRejectedError } from './import-errors.js';
import type { ImportCounts, ImportResult, WorkbookImportResult } from './registry-io.dto.js';
import { CONTENT_TYPES, readImportFile, toCells, writeExport } from './registry-files.js';
import type { ExportFormat, ExportSheet, ImportTarget } from './registry-files.js';
import { snapshotNeeds, validateImport } from './registry-validator.js';
import type {
  CommunityRecord,
  CompanyRecord,
  ImportPlan,
  KindPlan,
  RecordOf,
  RegistrySnapshot,
  StationRecord,
} from './registry-validator.js';
import type { BoundSheet } from './sheet-table.js';

/** Imports take this transaction-scoped advisory lock, so two imports never check against stale data. */
const IMPORT_LOCK_KEY = 2_260_210_000;
const CHUNK = 500;

export interface ExportFile {
  bytes: Buffer;
  contentType: string;
  /** ASCII file name (fallback), e.g. `communities-210100-20261115.csv`. */
  fileName: string;
  /** Chinese file name, e.g. `小区-沈阳市-20261115.csv`. */
  displayName: string;
}

/** Registry export and import (CSV, XLSX) for heating authorities and the province. */
@Injectable()
export class RegistryIoService {
  private readonly logger = new Logger('RegistryIo');

  constructor(
    private readonly dataSource: DataSource,
    private readonly scopes: UnitScopes,
    private readonly communities: CommunityIndexHolder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** One kind (CSV or XLSX), or all three kinds as one workbook (`kinds` = all, XLSX only). */
  async export(principal: Principal, kinds: RegistryKind[], format: ExportFormat): Promise<ExportFile> {
    const scope = await this.scopes.of(principal);
    const em = this.dataSource.manager;
    const sheets: ExportSheet[] = [];
    for (const kind of kinds) {
      const records = await this.recordsIn(em, kind, scope);
      sheets.push({ kind, rows: records.map((r) => toCells(kind, r)) });
    }
    const bytes = await writeExport(sheets, format);
    const date = shanghaiDateStamp(this.clock.now());
    const [stem, label] = kinds.length === 1 ? [KINDS[kinds[0]].fileStem, KINDS[kinds[0]].sheet] : ['registry', '供热登记册'];
    const { code, name } = scopeFileLabel(scope);
    return {
      bytes,
      contentType: CONTENT_TYPES[format],
      fileName: `${stem}-${code}-${date}.${format}`,
      displayName: `${label}-${name}-${date}.${format}`,
    };
  }

  async importFile(
    principal: Principal,
    target: ImportTarget,
    body: unknown,
    contentType: string | undefined,
    dryRun: boolean,
  ): Promise<ImportResult | WorkbookImportResult> {
    // The scope is read before the transaction: embedded PGlite has a single connection.
    const scope = await this.scopes.of(principal);
    const sheets = await readImportFile(target, body, contentType);
    const check = async (em: EntityManager): Promise<ImportPlan> => {
      const { errors, plan } = validateImport(sheets, await loadSnapshot(em, sheets), scope);
      if (errors.length > 0) throw new ImportRejectedError(errors, dryRun);
      return plan;
    };
    const plan = dryRun
      ? await check(this.dataSource.manager)
      : await this.dataSource.transaction(async (em) => {
          await em.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK_KEY]);
          const checked = await check(em);
          await writePlan(em, checked);
          return checked;
        });
    // Routing uses the new registry from the next case on.
    if (!dryRun) this.communities.invalidate();
    const present = sheets.map((s) => s.kind);
    // Who imported what, and how much: never the file's contents.
    this.logger.log({
      msg: dryRun ? 'registry import checked (dry run)' : 'registry import written',
      sub: principal.sub,
      unitId: principal.unitId,
      target,
      dryRun,
      counts: Object.fromEntries(present.map((k) => [k, counts(plan[k])])),
    });
    if (target !== 'workbook') return { kind: target, dryRun, ...counts(plan[target]) };
    const kinds = Object.fromEntries(present.map((k) => [k, counts(plan[k])])) as WorkbookImportResult['kinds'];
    const totals = present.map((k) => counts(plan[k])).reduce(
      (a, b) => ({ rows: a.rows + b.rows, created: a.created + b.created, updated: a.updated + b.updated, unchanged: a.unchanged + b.unchanged }),
      { rows: 0, created: 0, updated: 0, unchanged: 0 },
    );
    return { dryRun, ...totals, kinds };
  }

  /** The records of one kind that a scope covers, ordered by id. */
  private async recordsIn<K extends RegistryKind>(em: EntityManager, kind: K, scope: UnitScope): Promise<RecordOf[K][]> {
    const order = { id: 'ASC' } as const;
    const districts = districtFilter(scope);
    switch (kind) {
      case 'companies': {
        const where = scope.kind === 'city' ? { cityCode: scope.cityCode } : districts ? { districtCode: In(districts) } : {};
        return (await em.find(Company, { where, order })).map(companyRecord) as RecordOf[K][];
      }
      case 'stations': {
        const where = districts ? { districtCode: In(districts) } : {};
        return (await em.find(Station, { where, order })).map(stationRecord) as RecordOf[K][];
      }
      default: {
        const where = districts ? { districtCode: In(districts) } : {};
        return (await em.find(Community, { where, order })).map(communityRecord) as RecordOf[K][];
      }
    }
  }
}

function counts(plan: KindPlan<unknown>): ImportCounts {
  return { rows: plan.rows, created: plan.create.length, updated: plan.update.length, unchanged: plan.unchanged };
}

/** The districts a scope covers, or undefined for the whole province. */
function districtFilter(scope: UnitScope): string[] | undefined {
  switch (scope.kind) {
    case 'province':
      return undefined;
    case 'city':
      return findLiaoningDivision(scope.cityCode)?.city.districts.map((d) => d.code) ?? [];
    case 'county':
      return [scope.districtCode];
    case 'company':
      return [];
  }
}

function scopeFileLabel(scope: UnitScope): { code: string; name: string } {
  switch (scope.kind) {
    case 'province':
      return { code: '210000', name: '辽宁省' };
    case 'city':
      return { code: scope.cityCode, name: findLiaoningDivision(scope.cityCode)?.city.name ?? scope.cityCode };
    case 'county': {
      const found = findLiaoningDivision(scope.districtCode);
      return { code: scope.districtCode, name: found ? `${found.city.name}${found.district?.name ?? ''}` : scope.districtCode };
    }
    case 'company':
      return { code: scope.companyId, name: scope.companyId };
  }
}

const companyRecord = (c: Company): CompanyRecord => ({
  id: c.id,
  name: c.name,
  authorityId: c.authorityId,
  cityCode: c.cityCode,
  districtCode: c.districtCode,
});
const stationRecord = (s: Station): StationRecord => ({ id: s.id, name: s.name, companyId: s.companyId, districtCode: s.districtCode });
const communityRecord = (m: Community): CommunityRecord => ({
  id: m.id,
  name: m.name,
  normalizedName: m.normalizedName,
  districtCode: m.districtCode,
  stationId: m.stationId,
  companyId: m.companyId,
  unclearOwner: m.unclearOwner,
  aliases: m.aliases ?? [],
});

/** Rows whose `column` is one of `values`, fetched in chunks (bounded parameter lists). */
async function findIn<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, column: keyof T & string, values: string[]): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < values.length; i += 5000) {
    found.push(...(await em.find(entity, { where: { [column]: In(values.slice(i, i + 5000)) } as FindOptionsWhere<T> })));
  }
  return found;
}

/** What the validator needs from the database for these sheets (see `RegistrySnapshot`). */
export async function loadSnapshot(em: EntityManager, sheets: BoundSheet[]): Promise<RegistrySnapshot> {
  const needs = snapshotNeeds(sheets);
  const communities = new Map<string, CommunityRecord>();
  for (const m of [
    ...(await findIn(em, Community, 'id', needs.communityIds)),
    ...(await findIn(em, Community, 'districtCode', needs.communityDistricts)),
    ...(await findIn(em, Community, 'stationId', needs.stationsInFile)),
  ]) {
    communities.set(m.id, communityRecord(m));
  }
  return {
    authorities: new Map((await em.find(Authority)).map((a) => [a.id, { ...a }])),
    companies: new Map((await findIn(em, Company, 'id', needs.companyIds)).map((c) => [c.id, companyRecord(c)])),
    stations: new Map((await findIn(em, Station, 'id', needs.stationIds)).map((s) => [s.id, stationRecord(s)])),
    communities,
  };
}

/** Writes a checked plan: companies, then stations, then communities (references first). */
async function writePlan(em: EntityManager, plan: ImportPlan): Promise<void> {
  for (let i = 0; i < plan.companies.create.length; i += CHUNK) {
    await em.insert(
      Company,
      plan.companies.create.slice(i, i + CHUNK).map((c) => ({ ...c, webhookUrl: null, webhookSecret: null })),
    );
  }
  for (const { id, ...fields } of plan.companies.update) await em.update(Company, { id }, fields);
  for (let i = 0; i < plan.stations.create.length; i += CHUNK) await em.insert(Station, plan.stations.create.slice(i, i + CHUNK));
  for (const { id, ...fields } of plan.stations.update) await em.update(Station, { id }, fields);
  for (let i = 0; i < plan.communities.create.length; i += CHUNK) await em.insert(Community, plan.communities.create.slice(i, i + CHUNK));
  for (const { id, ...fields } of plan.communities.update) await em.update(Community, { id }, fields);
}
