import { createParamDecorator, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '../contracts/enums.js';
import { AppError } from '../http/app-error.js';
import type { Principal } from './principal.js';
import { TokenService } from './token.service.js';

const PUBLIC_KEY = 'heating:public';
const ROLES_KEY = 'heating:roles';

/** The endpoint needs no token (health, docs, provider callbacks with their own authentication). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** Only these roles may call the endpoint. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal;
});

/** Global guard: every HTTP endpoint needs a valid bearer token unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest();
    const header: string | undefined = request.headers?.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const principal = token ? await this.tokens.verify(token) : null;
    if (!principal) {
      throw new AppError('UNAUTHENTICATED', '缺少或无效的访问令牌：请在请求头 Authorization 中提供 "Bearer <令牌>"', 401);
    }
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (allowed && !allowed.includes(principal.role)) {
      throw new AppError('FORBIDDEN', `当前角色（${principal.role}）无权执行此操作，允许的角色：${allowed.join('、')}`, 403);
    }
    request.principal = principal;
    return true;
  }
}
