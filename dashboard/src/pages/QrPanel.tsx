// A link's QR code: a preview, and the image to download as SVG (print, any size) or PNG.
// The image comes from the API, read with the session cookie like everything else; the
// server names the downloaded file (qr-<code>.svg).

import { useState } from "preact/hooks";
import { qrUrl, type Link } from "../api";

const PREVIEW = 168; // CSS pixels; drawn at twice that for sharp screens
const PNG_SIZE = 1024; // pixels: enough for print at a few centimetres

export function QrPanel({ link }: { link: Link }) {
  const [failed, setFailed] = useState(false);
  return (
    <div class="panel qr-panel">
      <h2 class="panel-title">QR code</h2>
      <div class="qr-body">
        {failed ? (
          <p class="muted qr-missing" role="status">
            The QR code could not be loaded. Reload the page to try again.
          </p>
        ) : (
          <img
            class="qr"
            src={qrUrl(link.id, "svg", { size: PREVIEW * 2 })}
            alt={`QR code that opens ${link.short_url}`}
            width={PREVIEW}
            height={PREVIEW}
            onError={() => setFailed(true)}
          />
        )}
        <div class="qr-text">
          <p class="muted">Scanning it opens the short URL, so every scan is counted as a click.</p>
          <div class="actions">
            <a class="button" href={qrUrl(link.id, "svg", { download: true })} download>
              Download SVG
            </a>
            <a class="button" href={qrUrl(link.id, "png", { size: PNG_SIZE, download: true })} download>
              Download PNG
            </a>
          </div>
        </div>
      </div>
    </div>
  );
}
