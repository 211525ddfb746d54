/**
 * The TypeScript shape of the `example` interface, v1 (schemas/example/v1), that the relation
 * tests type their endpoints with. It is written by hand, so it is kept here once: when the
 * schema changes, this is the one place to follow it.
 */

/** What the provider publishes: which claim to mount, where, and as whom (app bag only). */
export interface ExampleProvider {
  app: {
    'pvc-name': string;
    'mount-path': string;
    puid?: number;
    'read-only'?: boolean;
    labels?: Record<string, string>;
  };
  unit: Record<string, never>;
}

/** What the requirer publishes: who it is and how it shares the volume; each unit its hostname. */
export interface ExampleRequirer {
  app: { 'client-name': string; 'access-mode'?: 'ReadWriteOnce' | 'ReadWriteMany' };
  unit: { hostname?: string };
}
