// The sluice API (Airbyte Config API v1 shape): POST /api/v1/<resource>/<action> with JSON.
// The session is the HttpOnly cookie set by auth/login; fetch sends it (same origin). Every
// request on it also carries the session's CSRF token in X-Sluice-CSRF: auth/login and
// auth/session answer it (csrfToken), and the readable cookie sluice_csrf holds it.

export class ApiError extends Error {
  status: number;
  details: { field: string; message: string }[];
  constructor(status: number, message: string, details: { field: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

type Listener = () => void;
let unauthorizedListener: Listener | null = null;
/** Called when an answer is 401 (session expired): the app goes back to the login page. */
export function onUnauthorized(listener: Listener | null) {
  unauthorizedListener = listener;
}

let csrfToken: string | null = null;

function currentCsrfToken(): string | null {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('sluice_csrf='));
  const fromCookie = cookie ? decodeURIComponent(cookie.slice('sluice_csrf='.length)) : '';
  return fromCookie || csrfToken;
}

export async function api<T = any>(path: string, body: unknown = {}): Promise<T> {
  let response: Response;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const token = currentCsrfToken();
  if (token) headers['X-Sluice-CSRF'] = token;
  try {
    response = await fetch(`/api/v1/${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: any = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (data && typeof data === 'object' && typeof data.csrfToken === 'string') csrfToken = data.csrfToken;
  if (!response.ok) {
    if (response.status === 401 && path !== 'auth/login' && unauthorizedListener) unauthorizedListener();
    throw new ApiError(response.status, data?.message ?? `HTTP ${response.status}`, data?.details ?? []);
  }
  return data as T;
}

export interface User {
  userId: string | null;
  email: string | null;
  name: string;
  role: string;
}

export interface Me {
  user: User;
  mustChangePassword: boolean;
  authMethod: string;
  permissions?: string[];
}

export interface Connection {
  connectionId: string;
  name: string;
  sourceId: string;
  destinationId: string;
  status: 'active' | 'inactive' | 'deprecated';
  scheduleType: 'manual' | 'basic' | 'cron' | 'continuous';
  scheduleData?: { basicSchedule?: { units: number; timeUnit: string }; cron?: { cronExpression: string; cronTimeZone?: string } };
  namespaceDefinition?: 'source' | 'destination' | 'customformat';
  namespaceFormat?: string | null;
  prefix?: string;
  syncCatalog?: SyncCatalog;
  /** Airbyte's schemaChange: a source schema change waiting for review. */
  schemaChange?: 'no_change' | 'non_breaking' | 'breaking';
  breakingChange?: boolean;
  nonBreakingChangesPreference?: string;
  notifySchemaChanges?: boolean;
  /** Operations run after each successful sync, in this order (operations/*). */
  operationIds?: string[];
}

/** Airbyte's catalogDiff (web_backend/connections/get, sources/discover_schema with a connection). */
export interface FieldTransform {
  transformType: 'add_field' | 'remove_field' | 'update_field_schema';
  fieldName: string[];
  breaking: boolean;
  addField?: { schema: unknown };
  removeField?: { schema: unknown };
  updateFieldSchema?: { oldSchema: unknown; newSchema: unknown };
}

export interface StreamTransform {
  transformType: 'add_stream' | 'remove_stream' | 'update_stream';
  streamDescriptor: { name: string; namespace?: string };
  updateStream?: { fieldTransforms: FieldTransform[]; streamAttributeTransforms: unknown[] };
}

export interface CatalogDiff {
  transforms: StreamTransform[];
}

export interface Failure {
  failureOrigin?: string;
  failureType?: string;
  externalMessage?: string;
  timestamp?: number;
}

export interface Attempt {
  id?: number;
  attemptNumber?: number;
  status: string;
  createdAt?: number;
  recordsSynced: number;
  bytesSynced: number;
  endedAt: number | null;
  failureSummary?: { failures?: Failure[]; partialSuccess?: boolean } | null;
  /** sluice: the after-sync operations the attempt ran, in order (a failed one stops the rest). */
  operations?: OperationStep[];
}

export interface OperationStep {
  operationId: string;
  name: string;
  operatorType: string;
  status: 'succeeded' | 'failed';
  durationMs: number;
}

/** Airbyte's OperatorConfiguration (operations/*). */
export interface OperatorConfiguration {
  operatorType: 'normalization' | 'dbt' | 'webhook' | 'sql' | 'command';
  normalization?: { option: 'basic' };
  dbt?: { gitRepoUrl: string; gitRepoBranch?: string; dbtArguments?: string; dockerImage?: string };
  webhook?: { executionUrl: string; executionBody?: string };
  /** sluice extension: a SQL script run in one transaction on the destination-postgres database. */
  operatorSql?: { sql: string; database?: string; schema?: string };
  /** sluice extension: a program run without a shell; secretEnvironment values come back as "**********". */
  operatorCommand?: {
    command: string[];
    workingDirectory?: string;
    environment?: Record<string, string>;
    secretEnvironment?: Record<string, string>;
    timeoutSeconds?: number;
  };
}

export interface Operation {
  operationId: string;
  workspaceId: string;
  name: string;
  operatorConfiguration: OperatorConfiguration;
}

export interface JobInfo {
  job: {
    id: number;
    status: string;
    configType: string;
    configId?: string;
    createdAt: number;
    updatedAt: number;
    startedAt?: number;
    /** Refresh, clear and reset jobs: how each stream was treated (its new generation once started). */
    streamActions?: StreamAction[];
  };
  attempts: { attempt: Attempt; logs?: { logLines: string[] } }[];
}

export interface StreamAction {
  streamName: string;
  streamNamespace?: string | null;
  action: 'refresh' | 'clear';
  refreshMode?: 'Truncate' | 'Merge';
  generationId?: number | null;
}

export interface AirbyteStream {
  name: string;
  namespace?: string | null;
  jsonSchema?: { properties?: Record<string, unknown> };
  supportedSyncModes?: string[];
  sourceDefinedCursor?: boolean;
  defaultCursorField?: string[];
  sourceDefinedPrimaryKey?: string[][];
}

export interface StreamConfig {
  syncMode: string;
  destinationSyncMode: string;
  cursorField?: string[];
  primaryKey?: string[][];
  aliasName?: string;
  selected: boolean;
}

export interface SyncCatalog {
  streams: { stream: AirbyteStream; config: StreamConfig }[];
}

export interface ConnectionStatus {
  connectionId: string;
  name: string;
  status: string; // active | inactive
  isRunning: boolean;
  lastSyncJobStatus?: string;
  lastSyncJobId?: number;
  lastSuccessfulSync?: number;
  activeJob?: JobInfo['job'];
  lastSyncJob?: JobInfo; // the newest finished sync, with its attempts
}

export interface Actor {
  name: string;
  connectorName: string;
  workspaceId: string;
  createdAt: number;
  sourceId?: string;
  destinationId?: string;
  sourceName?: string;
  destinationName?: string;
  sourceDefinitionId?: string;
  destinationDefinitionId?: string;
  connectionConfiguration: Record<string, unknown>;
}

export interface Definition {
  sourceDefinitionId?: string;
  destinationDefinitionId?: string;
  name: string;
  connectorName: string;
  description?: string;
  documentationUrl?: string;
  /** A custom connector from a declarative manifest (declarative_source_definitions/create_manifest). */
  custom?: boolean;
  declarativeManifestVersion?: number;
}

export type ActorKind = 'source' | 'destination';

export function actorId(kind: ActorKind, a: Actor | Definition): string {
  if (kind === 'source') return ('sourceId' in a ? a.sourceId : undefined) ?? '';
  return ('destinationId' in a ? a.destinationId : undefined) ?? '';
}

export function definitionId(kind: ActorKind, d: Definition): string {
  return (kind === 'source' ? d.sourceDefinitionId : d.destinationDefinitionId) ?? '';
}

export interface NotificationSettings {
  slackWebhookUrl: string | null;
  sendOnFailure: boolean;
  sendOnSuccess: boolean;
  sendOnConnectionDisabled: boolean;
  sendOnConnectionUpdate?: boolean;
  sendOnConnectionUpdateActionRequired?: boolean;
  consecutiveFailureThreshold: number;
}

export interface Workspace {
  workspaceId: string;
  name: string;
  email: string | null;
  initialSetupComplete: boolean;
  anonymousDataCollection: boolean;
  news: boolean;
  securityUpdates: boolean;
  notificationSettings: NotificationSettings;
}

export interface ManagedUser extends User {
  userId: string;
  mustChangePassword: boolean;
  createdAt: number;
  /** true: every workspace, new ones too; false: only workspaceIds. */
  allWorkspaces: boolean;
  workspaceIds: string[];
}

export const ROLES: { value: string; label: string }[] = [
  { value: 'admin', label: 'Admin' },
  { value: 'data_engineer', label: 'Data engineer' },
  { value: 'analyst', label: 'Analyst' },
  { value: 'viewer', label: 'Viewer' },
];

export function can(me: Me, permission: string): boolean {
  return me.permissions ? me.permissions.includes(permission) : me.user.role === 'admin';
}
