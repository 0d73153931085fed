import { Logger } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import type { ServiceConfig } from '../config/service-config.js';
import { SERVICE_CONFIG } from '../config/tokens.js';
import { AliyunSmsGateway } from './aliyun-sms.gateway.js';
import { ConsoleSmsGateway } from './console-sms.gateway.js';
import { SMS_GATEWAY } from './sms-gateway.js';
import type { SmsGateway } from './sms-gateway.js';
import { TencentSmsGateway } from './tencent-sms.gateway.js';

/** The gateway SMS_PROVIDER names, built from the validated configuration (credentials never logged). */
export function createSmsGateway(config: Pick<ServiceConfig, 'mode' | 'sms'>, logger = new Logger('SmsGateway')): SmsGateway {
  const { sms } = config;
  if (sms.provider === 'aliyun' && sms.aliyun) {
    logger.log(`SMS go out through Aliyun SMS (${sms.aliyun.endpoint.host}), signature 【${sms.aliyun.signName}】`);
    return new AliyunSmsGateway(sms.aliyun, sms.templateCodes);
  }
  if (sms.provider === 'tencent' && sms.tencent) {
    logger.log(`SMS go out through Tencent Cloud SMS (${sms.tencent.endpoint.host}, ${sms.tencent.region}), signature 【${sms.tencent.signName}】`);
    return new TencentSmsGateway(sms.tencent, sms.templateCodes);
  }
  if (config.mode === 'production') {
    logger.warn(
      'SMS_PROVIDER is console: NO SMS LEAVES THE PLATFORM — residents get no verification codes, surveys or outage notices; ' +
        'messages are only kept at GET /api/v1/sms/messages. Set SMS_PROVIDER=aliyun or tencent (docs/sms.md).',
    );
  }
  return new ConsoleSmsGateway();
}

/** Binds SMS_GATEWAY from the service's configuration: console (default), aliyun or tencent. */
export const SMS_GATEWAY_PROVIDER: Provider = {
  provide: SMS_GATEWAY,
  useFactory: (config: ServiceConfig) => createSmsGateway(config),
  inject: [SERVICE_CONFIG],
};
