import type { ComponentType } from 'preact';
import { OverviewPage } from './pages/OverviewPage';
import { LivePage } from './pages/LivePage';
import { DevicesPage } from './pages/DevicesPage';
import { RulesPage } from './pages/RulesPage';
import { TracePage } from './pages/TracePage';
import { FunctionsPage } from './pages/FunctionsPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { StoragePage } from './pages/StoragePage';
import { ReadingsPage } from './pages/ReadingsPage';

/** What every page component receives: the decoded `:params` of its route. */
export interface PageProps {
  params: Record<string, string>;
}

export interface RouteDef {
  /** Pattern after the `#`, e.g. `/trace/:messageId?` (`?` = optional parameter). */
  pattern: string;
  /** Sidebar label and document title. */
  title: string;
  /** Where the sidebar link goes. */
  navPath: string;
  component: ComponentType<PageProps>;
}

export const routes: RouteDef[] = [
  { pattern: '/overview', title: 'Overview', navPath: '/overview', component: OverviewPage },
  { pattern: '/live', title: 'Live', navPath: '/live', component: LivePage },
  { pattern: '/devices', title: 'Devices', navPath: '/devices', component: DevicesPage },
  { pattern: '/rules/:ruleName?', title: 'Rules', navPath: '/rules', component: RulesPage },
  { pattern: '/trace/:messageId?', title: 'Trace', navPath: '/trace', component: TracePage },
  { pattern: '/functions/:functionName?', title: 'Functions', navPath: '/functions', component: FunctionsPage },
  { pattern: '/notifications', title: 'Notifications', navPath: '/notifications', component: NotificationsPage },
  { pattern: '/storage/:bucket?', title: 'Storage', navPath: '/storage', component: StoragePage },
  { pattern: '/readings', title: 'Readings', navPath: '/readings', component: ReadingsPage },
];
