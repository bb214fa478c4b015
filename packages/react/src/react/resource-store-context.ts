/**
 * Which {@link ResourceStore} the hooks of a React tree use: the default one, or the one a
 * `<ResourceStoreProvider>` above them gives.
 */
import { createContext, createElement, type ReactNode } from 'react';
import { ResourceStore } from './resource-store.js';

/** The store of components that no provider is above. Opens nothing until a hook subscribes. */
const defaultStore = new ResourceStore();

/**
 * The context `useResource()` takes its store from.
 *
 * @example
 * ```ts
 * import { useContext } from 'react';
 * import { ResourceStoreContext } from '@prep-live/react';
 *
 * function useOpenStreams(): number {
 *   return useContext(ResourceStoreContext).size;
 * }
 * ```
 */
export const ResourceStoreContext = createContext<ResourceStore>(defaultStore);

/**
 * Gives the components inside it a store of their own: its own fetch (credentials), delays,
 * or a fake `live` in tests.
 *
 * @example
 * ```ts
 * import { createElement } from 'react';
 * import { ResourceStore, ResourceStoreProvider } from '@prep-live/react';
 *
 * const store = new ResourceStore({
 *   fetch: (input, init) => fetch(input, { ...init, credentials: 'include' }),
 * });
 * const tree = createElement(ResourceStoreProvider, { store }, 'the app');
 * ```
 */
export function ResourceStoreProvider(props: {
  store: ResourceStore;
  children?: ReactNode;
}): ReactNode {
  return createElement(ResourceStoreContext.Provider, { value: props.store }, props.children);
}
