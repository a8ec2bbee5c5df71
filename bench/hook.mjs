// A token hook for bench/caches.sh (HOOK=204 or HOOK=200): answers every call at once, with no
// change (204) or with one access-token claim (200), on 127.0.0.1:$PORT (29998).
import http from "node:http";

const mode = process.env.HOOK || "204";
const body = JSON.stringify({ session: { access_token: { tier: "gold" } } });
http
  .createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (mode === "200") {
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      } else {
        res.writeHead(204).end();
      }
    });
  })
  .listen(Number(process.env.PORT || 29998), "127.0.0.1");
