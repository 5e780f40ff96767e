import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { session, setUnauthorizedHandler } from './api';
import { Collection } from './pages/Collection';
import { Collections } from './pages/Collections';
import { Health } from './pages/Health';
import { SignIn } from './pages/SignIn';
import { href, useRoute } from './router';
import './styles.css';

function App() {
  const [signedIn, setSignedIn] = useState(() => !!session.key);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();
  useEffect(
    () =>
      setUnauthorizedHandler((e) => {
        session.clear();
        setNotice(`Signed out: ${e.message}`);
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn)
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined);
          setSignedIn(true);
        }}
      />
    );
  const signOut = () => {
    session.clear();
    setSignedIn(false);
  };
  return (
    <>
      <header class="topbar">
        <a class="brand" href={href.collections()}>
          <span class="logo" aria-hidden="true">◉</span> Visage
        </a>
        <nav>
          <a href={href.collections()} class={route.page !== 'health' ? 'active' : ''} data-testid="nav-collections">
            Collections
          </a>
          <a href={href.health()} class={route.page === 'health' ? 'active' : ''} data-testid="nav-health">
            Health
          </a>
        </nav>
        <button type="button" class="link" onClick={signOut} data-testid="signout">
          Sign out
        </button>
      </header>
      {route.page === 'collections' && <Collections />}
      {route.page === 'collection' && <Collection id={route.id} tab={route.tab} />}
      {route.page === 'health' && <Health />}
    </>
  );
}

render(<App />, document.getElementById('app')!);
