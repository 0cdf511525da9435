/**
 * What every page reads from the app: the deployment's config, the typed API client and the session's
 * user manager. One React context, set once by App.
 */
import type { UserManager } from 'oidc-client-ts';
import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { ConsoleConfig } from './config';

export interface ConsoleContext {
  config: ConsoleConfig;
  api: Api;
  userManager: UserManager;
}

export const ConsoleContextValue = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(ConsoleContextValue);
  if (!value) throw new Error('useConsole outside App');
  return value;
}

export const useApi = () => useConsole().api;
