/**
 * The providers around the router: the OIDC session (react-oidc-context over our UserManager), the query
 * cache (API errors are not retried blindly: only those a retry can fix), and the console context. Until
 * the user is signed in only the sign-in page renders; the callback returns them where they were.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { useMemo } from 'react';
import { AuthProvider, useAuth } from 'react-oidc-context';
import { ApiError } from './api/api-error';
import { userManagerTokens } from './api/authed-fetch';
import { createApi } from './api/client';
import { createUserManager, safeReturnPath, signIn } from './auth/user-manager';
import type { ConsoleConfig } from './config';
import { ConsoleContextValue, useConsole } from './context';
import { router } from './router';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (failures, error) =>
        failures < 2 && (!(error instanceof ApiError) || error.wording.retryable) && !is404(error),
      refetchOnWindowFocus: true,
      staleTime: 5_000,
    },
  },
});
const is404 = (error: unknown) => error instanceof ApiError && error.notFound;

export function App({ config }: { config: ConsoleConfig }) {
  const value = useMemo(() => {
    const userManager = createUserManager(config);
    return { config, userManager, api: createApi(config.apiUrl, userManagerTokens(userManager)) };
  }, [config]);
  return (
    <AuthProvider
      userManager={value.userManager}
      onSigninCallback={(user) => {
        const to = safeReturnPath(user?.state);
        window.history.replaceState(null, '', to);
        void router.navigate({ to, replace: true });
      }}
    >
      <ConsoleContextValue.Provider value={value}>
        <QueryClientProvider client={queryClient}>
          <SessionGate />
        </QueryClientProvider>
      </ConsoleContextValue.Provider>
    </AuthProvider>
  );
}

function SessionGate() {
  const auth = useAuth();
  if (auth.isLoading || auth.activeNavigator) {
    return (
      <main className="centered" id="main" aria-busy="true">
        <p role="status">Signing you in…</p>
      </main>
    );
  }
  if (!auth.isAuthenticated) return <SignInPage error={auth.error?.message} />;
  return <RouterProvider router={router} />;
}

function SignInPage({ error }: { error: string | undefined }) {
  const { userManager } = useConsole();
  return (
    <main className="centered sign-in" id="main">
      <h1>Imputation console</h1>
      <p>Run genotype imputation on the Michigan, TOPMed and H3Africa services with your own account.</p>
      {error ? (
        <p className="notice danger" role="alert">
          Signing in did not work: {error}. Try again.
        </p>
      ) : null}
      <button type="button" className="button primary" onClick={() => void signIn(userManager)}>
        Sign in
      </button>
    </main>
  );
}
