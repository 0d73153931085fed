import type { INestApplication } from '@nestjs/common';

export interface RouteKey {
  method: string;
  path: string;
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Every HTTP route a running Nest app serves, read from its Express router (so also controllers
 * left out of the OpenAPI document). The Swagger UI under /docs is not an endpoint of the service.
 */
export function listRoutes(app: INestApplication): RouteKey[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: ExpressLayer[] }; _router?: { stack: ExpressLayer[] } };
  const stack = express.router?.stack ?? express._router?.stack ?? [];
  const routes: RouteKey[] = [];
  for (const layer of stack) {
    if (!layer.route || layer.route.path.startsWith('/docs')) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}
