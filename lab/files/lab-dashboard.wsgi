# A dashboard-like WSGI app for the lab's Apache (vhost :80, ErrorLog horizon_error.log).
# It talks to keystone's old v2 admin port 35357, which no longer exists — the classic
# "dashboard cannot reach keystone" failure — so every request produces a real
# mod_wsgi traceback in /var/log/apache2/horizon_error.log on the controller.
import urllib.request

KEYSTONE_ADMIN_URL = "http://198.18.0.10:35357/v2.0/"


def application(environ, start_response):
    with urllib.request.urlopen(KEYSTONE_ADMIN_URL, timeout=3) as resp:  # raises
        body = resp.read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
