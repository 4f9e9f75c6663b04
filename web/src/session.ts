// The signed-in user, for the pages that offer an action only to the roles that may use it (the
// server checks every request anyway: this spares a user buttons that would answer 403).
import { createContext, useContext } from 'react';
import { can, Me } from './api';

export const MeContext = createContext<Me | null>(null);

/** Whether the signed-in user has `permission` (see src/api/README.md for the role matrix). */
export function useCan(permission: string): boolean {
  const me = useContext(MeContext);
  return me !== null && can(me, permission);
}
