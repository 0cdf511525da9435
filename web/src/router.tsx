/**
 * The console's routes, declared in code (no file-based generation): each page is its own chunk loaded on
 * first visit, so the first load carries only the shell. The jobs list keeps its filter, search and page
 * in typed search params, so a filtered page can be bookmarked and Back works; New job takes the job to
 * start again from the same way. Pages reach their route with getRouteApi, never by importing this file.
 */
import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  redirect,
} from '@tanstack/react-router';
import { Layout, NotFoundPage } from './components/layout';
import { JOB_STATUSES, type JobStatusName } from './lib/job-status';

export interface JobsSearch {
  status?: JobStatusName;
  q?: string;
  /** The cursors that led to this page (the last is the current page's); empty on the first. */
  after?: string[];
}

export function validateJobsSearch(search: Record<string, unknown>): JobsSearch {
  const out: JobsSearch = {};
  if (typeof search.status === 'string' && (JOB_STATUSES as readonly string[]).includes(search.status)) {
    out.status = search.status as JobStatusName;
  }
  if (typeof search.q === 'string' && search.q.trim() !== '') out.q = search.q.slice(0, 100);
  if (Array.isArray(search.after)) {
    const after = search.after.filter((c): c is string => typeof c === 'string' && c.length <= 2048);
    if (after.length > 0) out.after = after.slice(0, 50);
  }
  return out;
}

export interface NewJobSearch {
  /** A job whose inputs and options prefill the form ("Start again with these settings"). */
  from?: string;
}

/** Only the shape is checked here; the API decides whether it is a job (and the page says if not). */
export function validateNewJobSearch(search: Record<string, unknown>): NewJobSearch {
  return typeof search.from === 'string' && /^[0-9A-Za-z]{1,64}$/.test(search.from)
    ? { from: search.from }
    : {};
}

const rootRoute = createRootRoute({ component: Layout, notFoundComponent: NotFoundPage });

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/jobs' });
  },
});

const callbackRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/callback',
  beforeLoad: () => {
    throw redirect({ to: '/jobs' });
  },
});

export const jobsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/jobs',
  validateSearch: validateJobsSearch,
  component: lazyRouteComponent(() => import('./pages/jobs-page'), 'JobsPage'),
});

export const newJobRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/jobs/new',
  validateSearch: validateNewJobSearch,
  component: lazyRouteComponent(() => import('./pages/new-job-page'), 'NewJobPage'),
});

export const jobRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/jobs/$jobId',
  component: lazyRouteComponent(() => import('./pages/job-page'), 'JobPage'),
});

export const servicesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/services',
  component: lazyRouteComponent(() => import('./pages/services-page'), 'ServicesPage'),
});

const routeTree = rootRoute.addChildren([
  indexRoute,
  callbackRoute,
  jobsRoute,
  newJobRoute,
  jobRoute,
  servicesRoute,
]);

export const router = createRouter({ routeTree, defaultPreload: 'intent', scrollRestoration: true });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
