import React, { type ReactElement } from 'react';
import { render } from '@testing-library/react';
import { appLinks, TwinServicesProvider, type TwinServices } from '../api/context';
import type { TwinClient } from '../api/client';
import { NOW } from './fakeExporter';

export function renderWith(ui: ReactElement, client: TwinClient, extra: Partial<TwinServices> = {}) {
  const services: TwinServices = { client, links: appLinks('/a/test'), now: () => NOW, ...extra };
  return render(<TwinServicesProvider services={services}>{ui}</TwinServicesProvider>);
}
