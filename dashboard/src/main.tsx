// The dashboard's entry: find out whether this browser has a session, then show the
// sign-in screen or the screen its address names.

import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, useSession } from "./api";
import { Layout } from "./components/Layout";
import { Notices, notify } from "./components/Notices";
import { Failed, Loading } from "./components/States";
import { AnalyticsPage } from "./pages/Analytics";
import { CampaignPage } from "./pages/Campaign";
import { CampaignsPage } from "./pages/Campaigns";
import { ContactPage } from "./pages/Contact";
import { WebhookPage } from "./pages/Deliveries";
import { LinksPage } from "./pages/Links";
import { SettingsPage } from "./pages/Settings";
import { SignIn } from "./pages/SignIn";
import { WebhooksPage } from "./pages/Webhooks";
import { href, navigate, useRoute, type Route } from "./router";
import { currentSession, signOut, type Session } from "./session";
import "./styles.css";

function title(route: Route): string {
  switch (route.name) {
    case "campaigns":
      return "Campaigns";
    case "campaign":
      return `${route.campaign} · Campaigns`;
    case "contact":
      return `Contact ${route.contact}`;
    case "webhooks":
    case "webhook":
      return "Webhooks";
    case "settings":
      return "Settings";
    default:
      return "";
  }
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(() => {
    setError(null);
    currentSession()
      .then(setSession)
      .catch((e: ApiError) => setError(e));
  }, []);
  useEffect(load, [load]);

  const expired = useCallback(() => {
    // A 401 from the API: the session expired or its key was revoked.
    setSession(null);
    notify("Your session has ended. Sign in again to continue.", "error");
  }, []);
  // Set during render, not in an effect: the screens' own effects run first and may write.
  useSession(session?.csrf_token ?? "", expired);

  // A read-only key's session: the pages hide what would change something ([data-change]).
  const readOnly = session?.scope === "read_only";
  useEffect(() => {
    if (readOnly) document.documentElement.dataset.scope = "read_only";
    else delete document.documentElement.dataset.scope;
  }, [readOnly]);

  useEffect(() => {
    const name = title(route);
    document.title = name ? `${name} · Smart Links` : "Smart Links";
    if (route.name === "links" && location.pathname.replace(/\/+$/, "") === "/dashboard") {
      navigate("/dashboard/links", true);
    }
  }, [route]);

  if (error) return <Failed error={error} retry={load} what="the dashboard" />;
  if (session === undefined) return <Loading what="the dashboard" />;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const leave = async () => {
    try {
      await signOut();
    } catch {
      // the cookie is gone or the server is away: either way show the sign-in screen
    }
    setSession(null);
  };

  return (
    <Layout route={route} tenant={session.tenant.name} onSignOut={leave}>
      {readOnly && (
        <p class="panel read-only-note" role="note">
          You signed in with a read-only key: you can look at everything, but not create, change or delete anything.
          Sign in with a full-access key to make changes.
        </p>
      )}
      <Screen key={href(route)} route={route} session={session} />
    </Layout>
  );
}

/** The screen of a route; keyed by its address, so another campaign or link starts afresh. */
function Screen({ route, session }: { route: Route; session: Session }) {
  switch (route.name) {
    case "links":
      return <LinksPage campaign={route.campaign} tag={route.tag} />;
    case "analytics":
      return <AnalyticsPage id={route.id} />;
    case "campaigns":
      return <CampaignsPage />;
    case "campaign":
      return <CampaignPage campaign={route.campaign} />;
    case "contact":
      return <ContactPage contact={route.contact} />;
    case "webhooks":
      return <WebhooksPage />;
    case "webhook":
      return <WebhookPage id={route.id} />;
    case "settings":
      return <SettingsPage session={session} />;
    default:
      return (
        <div class="state">
          <p class="state-title">There is no such page.</p>
          <a href="/dashboard/links">Go to your links</a>
        </div>
      );
  }
}

function Root() {
  return (
    <>
      <App />
      <Notices />
    </>
  );
}

render(<Root />, document.getElementById("app")!);
