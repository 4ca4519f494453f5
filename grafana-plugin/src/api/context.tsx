import React, { createContext, useContext, type ReactNode } from 'react';
import { PLUGIN_BASE_URL, ROUTES } from '../constants';
import type { TwinClient } from './client';
import type { SloSource } from './slo';

/** Where the app's pages live: Grafana's /a/<plugin id>/…, or the preview host's own. */
export interface Links {
  fleet(): string;
  asset(id: string): string;
  commands(assetId?: string, command?: string): string;
  approvals(): string;
  audit(commandId?: string): string;
}

export function appLinks(base: string = PLUGIN_BASE_URL): Links {
  const q = (params: Record<string, string | undefined>) => {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v) {
        search.set(k, v);
      }
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  };
  return {
    fleet: () => `${base}/${ROUTES.Fleet}`,
    // The id in the query: any string survives Grafana's routing there (a `/` or `%2F` in a path
    // segment would not).
    asset: (id) => `${base}/${ROUTES.Asset}${q({ id })}`,
    commands: (assetId, command) => `${base}/${ROUTES.Commands}${q({ asset: assetId, command })}`,
    approvals: () => `${base}/${ROUTES.Approvals}`,
    audit: (commandId) => `${base}/${ROUTES.Audit}${q({ command: commandId })}`,
  };
}

export interface TwinServices {
  client: TwinClient;
  links: Links;
  /** The SLOs page's data; absent when no Prometheus datasource is configured. */
  slo?: SloSource;
  /** Ages are shown against this clock (tests pin it). */
  now?: () => number;
}

const ServicesContext = createContext<TwinServices | undefined>(undefined);

export function TwinServicesProvider({ services, children }: { services: TwinServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useTwinServices(): TwinServices {
  const services = useContext(ServicesContext);
  if (!services) {
    throw new Error('twinops: no TwinServicesProvider above this component');
  }
  return services;
}
