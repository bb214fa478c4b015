/**
 * The React app of the browser and SSR tests: three components showing one resource (two
 * plain, one suspending), which a button mounts and unmounts.
 */
import { Suspense, useState, type ReactNode } from 'react';
import { useResource } from '../../packages/react/src/react/index.js';

interface Doc {
  title: string;
}

/** One view of the resource: its title, status and ETag, as attributes the tests read. */
function DocView(props: { id: string; url: string; suspense?: boolean }): ReactNode {
  const { value, etag, status, error } = useResource<Doc>(props.url, {
    suspense: props.suspense === true,
  });
  return (
    <section id={props.id} data-status={status} data-etag={etag ?? ''}>
      <h2>{value?.title ?? '…'}</h2>
      <p>
        {props.id}: {status}
        {error instanceof Error ? ` (${error.message})` : ''}
      </p>
    </section>
  );
}

export function App(props: { url: string }): ReactNode {
  const [shown, setShown] = useState(true);
  return (
    <main>
      <button id="toggle" type="button" onClick={() => setShown((s) => !s)}>
        {shown ? 'Unmount' : 'Mount'}
      </button>
      {shown && (
        <>
          <DocView id="first" url={props.url} />
          <DocView id="second" url={props.url} />
          <Suspense fallback={<p id="fallback">waiting for the first state…</p>}>
            <DocView id="suspended" url={props.url} suspense />
          </Suspense>
        </>
      )}
    </main>
  );
}
