/**
 * React bindings of the PREP client: `useResource(url)` keeps a component current with a
 * live JSON resource, one stream per resource however many components show it.
 *
 * @example
 * ```ts
 * import { createElement } from 'react';
 * import { useResource } from '@prep-live/react';
 *
 * function Counter() {
 *   const { value, status } = useResource<{ count: number }>('/counter');
 *   return createElement('output', { title: status }, value?.count ?? '…');
 * }
 * ```
 */
export { useResource, type UseResourceOptions } from './use-resource.js';
export { ResourceStore, type ResourceStoreOptions } from './resource-store.js';
export { ResourceStoreContext, ResourceStoreProvider } from './resource-store-context.js';
export type { ResourceOptions } from './resource-key.js';
export type { ResourceState, ResourceStatus } from './resource-state.js';
export type { LiveSource } from './shared-resource.js';
