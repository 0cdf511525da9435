/**
 * The frame of every signed-in page: skip link, header with the environment, navigation and the user's
 * name with Sign out, and the main region pages render into. A polite live region announces page changes.
 */
import { Link, Outlet } from '@tanstack/react-router';
import { useAuth } from 'react-oidc-context';
import { signOut } from '../auth/user-manager';
import { useConsole } from '../context';
import { PageHeading } from './page-heading';

export function Layout() {
  const auth = useAuth();
  const { config, userManager } = useConsole();
  const profile = auth.user?.profile;
  const name = profile?.name ?? profile?.preferred_username ?? profile?.email ?? profile?.sub ?? '';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="brand">
          <Link to="/jobs" className="brand-name">
            Imputation console
          </Link>
          {config.environment ? <span className="environment">{config.environment}</span> : null}
        </div>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link
                to="/jobs"
                activeOptions={{ exact: true, includeSearch: false }}
                activeProps={{ 'aria-current': 'page' }}
              >
                Jobs
              </Link>
            </li>
            <li>
              <Link to="/jobs/new" activeProps={{ 'aria-current': 'page' }}>
                New job
              </Link>
            </li>
            <li>
              <Link to="/services" activeProps={{ 'aria-current': 'page' }}>
                Services &amp; tokens
              </Link>
            </li>
          </ul>
        </nav>
        <div className="user">
          <span className="user-name">{name}</span>
          <button type="button" className="button subtle" onClick={() => void signOut(userManager, config)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

export function NotFoundPage() {
  return (
    <section>
      <PageHeading>Page not found</PageHeading>
      <p>There is nothing at this address.</p>
      <p>
        <Link to="/jobs">Go to your jobs</Link>
      </p>
    </section>
  );
}
