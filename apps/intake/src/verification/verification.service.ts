import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TZDate } from '@date-fns/tz';
import { addDays, startOfDay } from 'date-fns';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { AppError, CLOCK, describeWaitZh, KeyRing, maskPhone, normalizeMainlandMobile, PHONE_VAULT, PhoneVault, RateLimitedError, SHANGHAI, SmsSender, TokenService } from '#shared';
import type { Clock } from '#shared';
import { PhoneVerification } from './phone-verification.entity.js';
import { codeMatches, hashCode, newCode, VERIFICATION_RULES as RULES } from './verification-rules.js';

export interface CodeRequested {
  verificationId: string;
  expiresInSeconds: number;
  resendAfterSeconds: number;
}

export interface Verified {
  token: string;
  expiresInSeconds: number;
  phone: string;
}

/** A refusal that still records what happened (a wrong try counts even though the request fails). */
type ConfirmResult = { ok: true; phone: string; id: string } | { ok: false; error: AppError };

@Injectable()
export class VerificationService {
  private readonly key: Buffer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sms: SmsSender,
    private readonly tokens: TokenService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
    keys: KeyRing,
  ) {
    this.key = keys.derive('phone-verification-code');
  }

  /**
   * Sends a 6-digit code by SMS. The answer is the same whether or not the phone has cases;
   * limits: one code a minute and 10 a day per phone, 30 an hour per client address.
   */
  async requestCode(rawPhone: string, ip: string): Promise<CodeRequested> {
    const phone = normalizeMainlandMobile(rawPhone);
    if (!phone) throw new AppError('INVALID_PHONE', '手机号（phone）必须是 11 位中国大陆手机号，例如 13812345678', 400, 'phone');
    const id = randomUUID();
    // The limits count codes by the number's blind index; the number itself is stored sealed.
    const phoneHash = this.vault.hash(phone);
    await this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`verification|${phoneHash}`]);
      const now = this.clock.now();
      const repo = em.getRepository(PhoneVerification);
      const last = await repo.findOne({ where: { phoneHash }, order: { createdAt: 'DESC' } });
      if (last && now.getTime() - last.createdAt.getTime() < RULES.resendCooldownMs) {
        const wait = Math.ceil((RULES.resendCooldownMs - (now.getTime() - last.createdAt.getTime())) / 1000);
        throw new RateLimitedError('RESEND_TOO_SOON', `验证码已发送，请 ${wait} 秒后再重新获取`, wait, 'phone');
      }
      const shanghaiDay = startOfDay(new TZDate(now.getTime(), SHANGHAI));
      const dayStart = new Date(shanghaiDay.getTime());
      if ((await repo.countBy({ phoneHash, createdAt: MoreThanOrEqual(dayStart) })) >= RULES.maxCodesPerPhonePerDay) {
        const untilTomorrow = secondsUntil(new Date(addDays(shanghaiDay, 1).getTime()), now);
        throw new RateLimitedError('DAILY_LIMIT', `该手机号今日获取验证码已达 ${RULES.maxCodesPerPhonePerDay} 次，请明天再试，或拨打供热热线反映问题`, untilTomorrow, 'phone');
      }
      const hourAgo = new Date(now.getTime() - 3_600_000);
      const ipCodes = await repo.find({ where: { ip, createdAt: MoreThanOrEqual(hourAgo) }, order: { createdAt: 'ASC' }, take: RULES.maxCodesPerIpPerHour, select: { createdAt: true } });
      if (ipCodes.length >= RULES.maxCodesPerIpPerHour) {
        // The next code is possible once the oldest of this hour's codes is an hour old.
        const wait = secondsUntil(new Date(ipCodes[0].createdAt.getTime() + 3_600_000), now);
        throw new RateLimitedError('IP_LIMIT', `当前网络获取验证码过于频繁（每小时最多 ${RULES.maxCodesPerIpPerHour} 次），请 ${describeWaitZh(wait)}后再试`, wait);
      }
      await repo.update({ phoneHash, status: 'pending' }, { status: 'superseded' });
      const code = newCode();
      await repo.insert({
        id, phoneEnc: this.vault.seal(phone), phoneHash, codeHash: hashCode(this.key, id, code), ip, status: 'pending', attempts: 0,
        createdAt: now, expiresAt: new Date(now.getTime() + RULES.codeTtlMs), verifiedAt: null,
      });
      await this.sms.queue(em, phone, { template: 'verification_code', params: { code } }, null);
    });
    this.sms.kick();
    return { verificationId: id, expiresInSeconds: RULES.codeTtlMs / 1000, resendAfterSeconds: RULES.resendCooldownMs / 1000 };
  }

  /** Checks a code; success returns a short-lived resident token bound to the verified phone. */
  async confirm(verificationId: string, code: string): Promise<Verified> {
    const result = await this.dataSource.transaction(async (em): Promise<ConfirmResult> => {
      const repo = em.getRepository(PhoneVerification);
      const v = await repo.findOne({ where: { id: verificationId }, lock: { mode: 'pessimistic_write' } });
      const now = this.clock.now();
      if (!v) return refuse('VERIFICATION_NOT_FOUND', '验证请求不存在，请重新获取验证码', 404, 'verificationId');
      if (v.status === 'verified') return refuse('CODE_ALREADY_USED', '该验证码已使用过，请重新获取验证码', 409, 'code');
      if (v.status === 'failed') return tooManyAttempts(v, now);
      if (v.status === 'superseded') return refuse('CODE_SUPERSEDED', '已获取了新的验证码，请使用最新收到的验证码', 410, 'code');
      if (now >= v.expiresAt) return refuse('CODE_EXPIRED', '验证码已过期（有效期 5 分钟），请重新获取', 410, 'code');
      if (!codeMatches(this.key, v.id, code, v.codeHash)) {
        const attempts = v.attempts + 1;
        const left = RULES.maxWrongTries - attempts;
        await repo.update({ id: v.id }, { attempts, ...(left <= 0 ? { status: 'failed' as const } : {}) });
        return left <= 0 ? tooManyAttempts(v, now) : refuse('WRONG_CODE', `验证码不正确，还可尝试 ${left} 次`, 400, 'code');
      }
      await repo.update({ id: v.id }, { status: 'verified', verifiedAt: now, attempts: v.attempts + 1 });
      return { ok: true, phone: this.vault.open(v.phoneEnc), id: v.id };
    });
    if (!result.ok) throw result.error;
    const token = await this.tokens.sign({ sub: `resident-${result.id}`, role: 'resident', phone: result.phone }, RULES.residentTokenTtlSeconds);
    return { token, expiresInSeconds: RULES.residentTokenTtlSeconds, phone: maskPhone(result.phone) };
  }
}

function refuse(code: string, message: string, status: number, field: string): ConfirmResult {
  return { ok: false, error: new AppError(code, message, status, field) };
}

/** This code is spent; a new one can be requested once the phone's resend cooldown has passed. */
function tooManyAttempts(v: PhoneVerification, now: Date): ConfirmResult {
  const wait = secondsUntil(new Date(v.createdAt.getTime() + RULES.resendCooldownMs), now);
  return { ok: false, error: new RateLimitedError('TOO_MANY_ATTEMPTS', '验证码错误次数过多，请重新获取验证码', wait, 'code') };
}

/** Whole seconds from now until `then`, at least 1 (a Retry-After of 0 would invite an immediate retry). */
function secondsUntil(then: Date, now: Date): number {
  return Math.max(1, Math.ceil((then.getTime() - now.getTime()) / 1000));
}
