"""Labelled PII cases: planted secrets in many forms, and near-misses that must not change.

Every secret here is fake: drawn from a generator seeded by the form name and case number, so
the cases are the same on every run and machine, and well-formed for each provider's format
(prefix, length, alphabet) without being anybody's key. Near-misses are text that looks like a
secret to a naive detector (UUIDs, digests, lock files, versions, documented example keys,
private addresses, doc emails, dummy passwords) and must come out of redaction unchanged.

Pure Python (no pyspark): `tests/test_pii_bench.py` asserts every case, and
`codecurate.dev.bench.pii` prints recall and false-positive rate per form.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
KEY, PASSWORD, EMAIL = "<KEY>", "<PASSWORD>", "<EMAIL>"
CASES_PER_FORM = 7


@dataclass(frozen=True)
class Case:
    form: str
    number: int
    path: str
    text: str
    # (value, placeholder expected in its place); empty for a near-miss, whose text must not change
    secrets: tuple[tuple[str, str], ...] = ()

    @property
    def positive(self) -> bool:
        return bool(self.secrets)

    @property
    def name(self) -> str:
        return f"{self.form}-{self.number}"

    def expected(self) -> str:
        text = self.text
        for value, placeholder in self.secrets:
            text = text.replace(value, placeholder)
        return text


class _Gen:
    """Fake values for one case; every draw comes from the case's own seeded generator."""

    def __init__(self, seed: str):
        self.rng = random.Random(seed)

    def s(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pick(self, options):
        return self.rng.choice(options)

    def password(self, symbols: str = "!#%&*@^") -> str:
        # a human-made password: a word, digits and symbols, 10-16 characters
        word = self.pick(["Sunflower", "Mariposa", "Kestrel", "Quokka", "Tangerine", "Ravioli"])
        return word + self.s(2, string.digits) + self.pick(symbols) + self.s(self.rng.randint(1, 4))

    def aws_id(self) -> str:
        return "AKIA" + self.s(16, string.ascii_uppercase + "234567")

    def aws_secret(self) -> str:
        return self.s(40, B64)

    def ghp(self) -> str:
        return "ghp_" + self.s(36)

    def uuid(self) -> str:
        h = self.s(32, HEX)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.pick('89ab')}{h[17:20]}-{h[20:]}"

    def pem(self, label: str, lines: int = 6) -> str:
        body = "\n".join(self.s(64, B64) for _ in range(lines)) + "\n" + self.s(24, B64) + "=="
        return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def _b64url_json(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------
# positives: each returns (path, text, ((value, placeholder), ...))

def _env_default(g: _Gen, i: int):
    v = [g.aws_secret(), g.s(32), g.s(40, B64), g.s(32, HEX), g.s(36), g.s(48, B64URL), g.s(50)][i]
    return [
        ("app/settings.py", f'AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "{v}")\n'),
        ("app/config.py", f'STRIPE_TOKEN = os.getenv("STRIPE_API_TOKEN", "{v}")\n'),
        ("src/config.js", f"const secret = process.env.APP_SECRET || '{v}';\n"),
        ("src/Config.java", f'String key = System.getenv().getOrDefault("API_KEY", "{v}");\n'),
        ("app/conf.py", f'    token=env.str("GITHUB_TOKEN", default="{v}"),\n'),
        ("cmd/main.go", f'secret := getEnv("CLIENT_SECRET", "{v}")\n'),
        ("app/settings.py", f"SECRET_KEY = os.environ.setdefault('DJANGO_SECRET_KEY', '{v}')\n"),
    ][i] + (((v, KEY),),)


def _call_kwarg(g: _Gen, i: int):
    v = [g.aws_secret(), g.s(32, HEX), g.s(40), g.s(24), g.s(48, B64URL), g.s(32), g.s(40, B64)][i]
    lines = [
        f's3 = boto3.client("s3", aws_access_key_id=key_id, aws_secret_access_key="{v}")\n',
        f'client = Client(api_key="{v}", timeout=30)\n',
        f'gh = Github(login_or_token="{v}")\n',
        f'r = requests.get(url, auth=("api", "{v}"))\n',
        f"const api = new ApiClient({{ apiKey: '{v}', region: 'eu' }});\n",
        f'session.headers.update({{"X-Auth-Token": "{v}"}})\n',
        f'connect(host="db.acme-corp.io", secret="{v}")\n',
    ]
    paths = ["aws.py", "client.py", "gh.py", "api.py", "api.js", "http.py", "db.py"]
    return paths[i], lines[i], ((v, KEY),)


def _dict_literal(g: _Gen, i: int):
    v = [g.s(40, B64), g.s(32, HEX), g.s(24), g.s(64, HEX), g.s(44, B64URL), g.s(30), g.s(36)][i]
    keys = ["client_secret", "api_key", "access_token", "signing_key", "refresh_token", "authToken",
            "private_token"]
    lang = i % 3
    if lang == 0:
        return "cfg.py", f'CONFIG = {{"timeout": 30, "{keys[i]}": "{v}", "retries": 3}}\n', ((v, KEY),)
    if lang == 1:
        return "cfg.rb", f"CONFIG = {{ timeout: 30, {keys[i]}: '{v}' }}\n", ((v, KEY),)
    return "cfg.php", f"$config = ['{keys[i]}' => '{v}', 'debug' => false];\n", ((v, KEY),)


def _json_value(g: _Gen, i: int):
    v = [g.s(40, B64), g.s(32, HEX), g.s(28), g.s(64, B64URL), g.s(40), g.s(32, LOWER_ALNUM), g.s(48)][i]
    key = ["clientSecret", "api_key", "token", "secret", "authKey", "access_key", "apiToken"][i]
    text = json.dumps({"name": "svc", "settings": {key: v, "port": 8080}}, indent=2) + "\n"
    return ["config.json", "appsettings.json", "secrets.json", "cfg.json", "a.json", "b.json",
            "c.json"][i], text, ((v, KEY),)


def _yaml_value(g: _Gen, i: int):
    v = [g.s(40, B64), g.s(32), g.s(32, HEX), g.s(50, B64URL), g.s(24), g.s(40), g.s(36)][i]
    lines = [
        f"aws:\n  region: eu-west-1\n  secret_access_key: {v}\n",
        f"slack:\n  bot_token: \"{v}\"\n",
        f"services:\n  api:\n    environment:\n      - API_KEY={v}\n",
        f"auth:\n  client_secret: '{v}'\n",
        f"github:\n  token: {v}\n  org: acme\n",
        f"env:\n  SENTRY_AUTH_TOKEN: {v}\n",
        f"credentials:\n  - name: deploy\n    secret: {v}\n",
    ]
    return ["config.yaml", "slack.yml", "docker-compose.yml", "app.yaml", "gh.yml", "ci.yml",
            "deploy.yaml"][i], lines[i], ((v, KEY),)


def _toml_value(g: _Gen, i: int):
    v = [g.s(32), g.s(40, B64), g.s(32, HEX), g.s(24), g.s(48, B64URL), g.s(40), g.s(28)][i]
    lines = [
        f'[server]\nport = 8000\napi_key = "{v}"\n',
        f'[aws]\nsecret_access_key = "{v}"\n',
        f'[tool.publish]\ntoken = "{v}"\n',
        f"[auth]\nsecret = '{v}'\n",
        f'[registries.private]\ntoken = "{v}"\n',
        f'github_token = "{v}"\n',
        f'[mail]\nhost = "smtp.acme-corp.io"\npassword = "{v}"\n',
    ]
    return f"conf{i}.toml", lines[i], ((v, PASSWORD if i == 6 else KEY),)


def _ini_value(g: _Gen, i: int):
    v = [g.s(32), g.s(40, B64), g.password(), g.s(32, HEX), g.password(), g.s(24), g.s(40)][i]
    lines = [
        f"[api]\nkey = {v}\n",
        f"[default]\naws_secret_access_key = {v}\n",
        f"[database]\nhost = db.acme-corp.io\npassword = {v}\n",
        f"[service]\nauth_token={v}\n",
        f"[smtp]\nsmtp_password: {v}\n",
        f"[oauth]\nclient_secret = {v}\n",
        f"[deploy]\ntoken = {v}\n",
    ]
    paths = ["app.ini", "credentials.cfg", "db.ini", "svc.conf", "mail.cfg", "oauth.ini", "deploy.cfg"]
    pw = i in (2, 4)
    return paths[i], lines[i], ((v, PASSWORD if pw else KEY),)


def _dotenv(g: _Gen, i: int):
    v = [g.s(50, ALNUM + "!@#%^&*(-_=+)"), g.s(40, B64), g.password(), g.s(32, HEX), g.s(36), g.password(),
         g.s(24)][i]
    name = ["SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "MAILGUN_SIGNING_KEY",
            "API_TOKEN", "REDIS_PASSWORD", "JWT_SECRET"][i]
    quote = ['"', "", "", "'", "", "", '"'][i]
    pw = name.endswith("PASSWORD")
    text = f"DEBUG=false\n{name}={quote}{v}{quote}\nPORT=8000\n"
    if i == 0:
        return ".env", text, ((v, PASSWORD),)
    return [".env", ".env", ".env.production", ".env.local", ".env", "prod.env", ".env"][i], text, (
        (v, PASSWORD if pw else KEY),)


def _dockerfile(g: _Gen, i: int):
    v = [g.s(32), g.s(40, B64), "npm_" + g.s(36), g.password(), g.s(32, HEX), g.s(40), g.s(24)][i]
    lines = [
        f"ENV API_TOKEN={v}\n",
        f"ENV AWS_SECRET_ACCESS_KEY {v}\n",
        f"ARG NPM_TOKEN={v}\n",
        f"ENV DB_PASSWORD={v}\n",
        f"ENV SECRET_KEY=\"{v}\" DEBUG=0\n",
        f"ARG GITHUB_TOKEN={v}\n",
        f"RUN echo \"//registry.acme-corp.io/:_auth={v}\" > .npmrc\n",
    ]
    text = "FROM python:3.11-slim\nWORKDIR /app\n" + lines[i] + "COPY . .\n"
    return ["Dockerfile", "Dockerfile", "docker/Dockerfile", "Dockerfile.prod", "Dockerfile",
            "ci/Dockerfile", "Dockerfile"][i], text, ((v, PASSWORD if i == 3 else KEY),)


def _shell(g: _Gen, i: int):
    v = [g.s(32), g.aws_secret(), g.password(), g.s(40, HEX), g.s(36), g.s(48, B64URL), g.s(28)][i]
    lines = [
        f"export API_TOKEN={v}\n",
        f"export AWS_SECRET_ACCESS_KEY=\"{v}\"\n",
        f"export PGPASSWORD='{v}'\n",
        f"curl -H \"Authorization: token {v}\" https://api.acme-corp.io/v1\n",
        f"curl -H 'X-Api-Key: {v}' https://api.acme-corp.io/items\n",
        f"docker login -u deploy --password {v} registry.acme-corp.io\n",
        f"SECRET={v} ./run.sh\n",
    ]
    return ["deploy.sh", "env.sh", "backup.sh", "call.sh", "items.sh", "push.sh", "start.sh"][i], (
        "#!/bin/sh\nset -e\n" + lines[i]), ((v, PASSWORD if i in (2, 5) else KEY),)


def _key_path(g: _Gen, i: int):
    # the credential is named by an enclosing key or section, not on the value's own line
    v = [g.s(40, B64), g.s(32), g.s(40), g.s(36), g.s(32, HEX), g.s(24), g.s(48, B64URL)][i]
    texts = [
        ("stripe.yaml", f"stripe:\n  credentials:\n    live: {v}\n    mode: live\n"),
        ("app.ini", f"[secrets]\nstripe = {v}\n\n[server]\nport = 8000\n"),
        ("ci.toml", f'[tokens]\nci = "{v}"\n'),
        ("settings.json", f'{{\n  "credentials": {{\n    "prod": "{v}"\n  }}\n}}\n'),
        ("keys.py", f'API_KEYS = {{\n    "prod": "{v}",\n}}\n'),
        ("vars.tf", f'variable "db_password" {{\n  default = "{v}"\n}}\n'),
        ("auth.yml", f"auth:\n  keys:\n    - {v}\n"),
    ]
    path, text = texts[i]
    return path, text, ((v, PASSWORD if i == 5 else KEY),)


def _url_basic_auth(g: _Gen, i: int):
    # URL passwords are written percent-encoded or without the characters URLs reserve
    v = [g.password("!*~"), g.s(16), g.s(24), g.password("!*~"), g.s(20, LOWER_ALNUM), g.s(32, HEX), g.s(18)][i]
    urls = [
        f"postgres://app:{v}@db.acme-corp.io:5432/main",
        f"redis://:{v}@cache.acme-corp.io:6379/0",
        f"mongodb+srv://admin:{v}@cluster0.abcde.mongodb.net/test",
        f"amqp://worker:{v}@mq.acme-corp.io:5672/",
        f"https://deploy:{v}@git.acme-corp.io/team/repo.git",
        f"https://x-access-token:{v}@github.com/acme/app.git",
        f"mysql+pymysql://root:{v}@10.0.0.5/app",
    ]
    text = [f'DATABASE_URL = "{urls[i]}"\n', f"CACHE = '{urls[i]}'\n", f"uri: {urls[i]}\n",
            f"BROKER_URL={urls[i]}\n", f"git clone {urls[i]}\n", f"remote = \"{urls[i]}\"\n",
            f"engine = create_engine('{urls[i]}')\n"][i]
    return ["settings.py", "cache.py", "db.yaml", ".env", "clone.sh", "cfg.toml", "db.py"][i], text, (
        (v, PASSWORD),)


def _url_query_token(g: _Gen, i: int):
    v = [g.s(32, HEX), g.s(40), g.s(32), g.s(48, B64URL), g.s(24), g.s(40, HEX), g.s(36)][i]
    param = ["api_key", "access_token", "token", "key", "apikey", "client_secret", "auth"][i]
    url = f"https://api.acme-corp.io/v2/items?page=2&{param}={v}&format=json"
    return "fetch.py", f'resp = requests.get("{url}")\n', ((v, KEY),)


def _connection_string(g: _Gen, i: int):
    if i < 3:
        v = g.s(86, B64) + "=="
        text = (f'conn = "DefaultEndpointsProtocol=https;AccountName=acmestore{i};AccountKey={v};'
                'EndpointSuffix=core.windows.net"\n')
        return "storage.py", text, ((v, KEY),)
    if i < 5:
        v = g.s(43, B64) + "="
        text = (f'"ServiceBus": "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName='
                f'RootManageSharedAccessKey;SharedAccessKey={v}"\n')
        return "appsettings.json", text, ((v, KEY),)
    v = g.password()
    text = [f'var cs = "Server=tcp:acme.database.windows.net,1433;Database=app;User ID=app;Password={v};";\n',
            f"jdbc.url=jdbc:sqlserver://db.acme-corp.io;databaseName=app;user=app;password={v};\n"][i - 5]
    return ["Db.cs", "app.properties"][i - 5], text, ((v, PASSWORD),)


def _aws_key_id(g: _Gen, i: int):
    v = g.aws_id()
    text = [f"aws_access_key_id = {v}\n", f'AWS_ACCESS_KEY_ID = "{v}"\n', f"export AWS_ACCESS_KEY_ID={v}\n",
            f'  "AccessKeyId": "{v}",\n', f"key_id: {v}\n", f"s3 = S3({v!r}, secret)\n",
            f"# rotated {v} on Monday\n"][i]
    return ["credentials", "cfg.py", "env.sh", "creds.json", "s3.yaml", "s3.py", "notes.md"][i], text, ((v, KEY),)


def _github_token(g: _Gen, i: int):
    v = [g.ghp(), "gho_" + g.s(36), "ghs_" + g.s(36), "github_pat_" + g.s(22) + "_" + g.s(59),
         "ghu_" + g.s(36), "ghr_" + g.s(36), "github_pat_" + g.s(22) + "_" + g.s(59)][i]
    text = [f"GITHUB_TOKEN = '{v}'\n", f"token: {v}\n", f"git push https://{v}@github.com/acme/app\n",
            f'headers = {{"Authorization": f"token {v}"}}\n', f"gh auth login --with-token <<< {v}\n",
            f"const octokit = new Octokit({{ auth: '{v}' }});\n", f"- run: echo {v} | docker login\n"][i]
    return ["gh.py", "gh.yml", "push.sh", "api.py", "login.sh", "gh.js", "ci.yml"][i], text, ((v, KEY),)


def _gitlab_slack_stripe(g: _Gen, i: int):
    v = ["glpat-" + g.s(20, B64URL), "xoxb-" + g.s(11, string.digits) + "-" + g.s(13, string.digits) + "-" + g.s(24),
         "xoxp-" + g.s(11, string.digits) + "-" + g.s(11, string.digits) + "-" + g.s(12, string.digits) + "-" + g.s(32, HEX),
         "sk_live_" + g.s(24), "rk_live_" + g.s(24), "sk_live_" + g.s(99), "glpat-" + g.s(20)][i]
    text = [f"GITLAB_TOKEN={v}\n", f"SLACK_BOT = '{v}'\n", f'slack = WebClient(token="{v}")\n',
            f"stripe.api_key = '{v}'\n", f"Stripe::StripeClient.new('{v}')\n",
            f'"stripe": {{"secret": "{v}"}}\n', f"git remote add origin https://oauth2:{v}@gitlab.com/a/b.git\n"][i]
    return ["ci.env", "bot.py", "bot.py", "pay.py", "pay.rb", "cfg.json", "setup.sh"][i], text, ((v, KEY),)


def _google(g: _Gen, i: int):
    if i < 5:
        v = "AIza" + g.s(35, B64URL)
        text = [f'GOOGLE_API_KEY = "{v}"\n', f"const maps = new Maps('{v}');\n",
                f'<script src="https://maps.googleapis.com/maps/api/js?key={v}"></script>\n',
                f"firebase:\n  apiKey: {v}\n", f'gmaps = googlemaps.Client("{v}")\n'][i]
        return ["maps.py", "maps.js", "index.html", "firebase.yml", "geo.py"][i], text, ((v, KEY),)
    # a service-account JSON file, as the Cloud console downloads it
    kid = g.s(40, HEX)
    body = "\\n".join(g.s(64, B64) for _ in range(8))
    key = f"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----"
    mail = f"deployer-{g.s(4, string.digits)}@acme-prod-{g.s(6, string.digits)}.iam.gserviceaccount.com"
    text = (
        "{\n"
        '  "type": "service_account",\n'
        '  "project_id": "acme-prod",\n'
        f'  "private_key_id": "{kid}",\n'
        f'  "private_key": "{key}\\n",\n'
        f'  "client_email": "{mail}",\n'
        f'  "client_id": "{g.s(21, string.digits)}",\n'
        '  "token_uri": "https://oauth2.googleapis.com/token"\n'
        "}\n"
    )
    return ["sa.json", "credentials/service-account.json"][i - 5], text, (
        (kid, KEY), (key, KEY), (mail, EMAIL))


def _pem_block(g: _Gen, i: int):
    label = ["RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY",
             "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK", "PRIVATE KEY"][i]
    key = g.pem(label)
    if i == 5:
        lines = key.split("\n")
        key = "\n".join(lines[:1] + ["Version: GnuPG v2", ""] + lines[1:])
    if i == 6:
        escaped = key.replace("\n", "\\n")
        return "keys.py", f'KEY = "{escaped}"\nx = 1\n', ((escaped, KEY),)
    if i in (1, 3):
        return "conf.py", f'KEY = """\n{key}\n"""\n', ((key, KEY),)
    return ["id_rsa", "", "dsa.pem", "", "enc.key", "secring.asc"][i], key + "\n", ((key, KEY),)


def _twilio_sendgrid(g: _Gen, i: int):
    v = ["AC" + g.s(32, HEX), g.s(32, HEX), "SK" + g.s(32, HEX), "SG." + g.s(22, B64URL) + "." + g.s(43, B64URL),
         "SG." + g.s(22, B64URL) + "." + g.s(43, B64URL), g.s(32, HEX), "SG." + g.s(22) + "." + g.s(43)][i]
    text = [f'TWILIO_ACCOUNT_SID = "{v}"\n', f'TWILIO_AUTH_TOKEN = "{v}"\n', f"twilio_api_key: {v}\n",
            f"SENDGRID_API_KEY={v}\n", f'sg = SendGridAPIClient("{v}")\n',
            f'client = Client(account_sid, "{v}")  # auth token\n', f'"sendgrid": "{v}"\n'][i]
    return ["sms.py", "sms.py", "sms.yml", ".env", "mail.py", "sms.py", "cfg.json"][i], text, ((v, KEY),)


def _package_tokens(g: _Gen, i: int):
    v = ["npm_" + g.s(36), "npm_" + g.s(36), "pypi-AgEIcHlwaS5vcmc" + g.s(140, B64URL),
         "pypi-AgEIcHlwaS5vcmc" + g.s(120, B64URL), "npm_" + g.s(36), "pypi-AgENdGVzdC5weXBpLm9yZw" + g.s(120, B64URL),
         "npm_" + g.s(36)][i]
    text = [f"//registry.npmjs.org/:_authToken={v}\n", f"NPM_TOKEN={v}\n",
            f"[pypi]\nusername = __token__\npassword = {v}\n", f"twine upload -u __token__ -p {v} dist/*\n",
            f'  "npmAuthToken": "{v}"\n', f"[testpypi]\npassword = {v}\n", f"npmAuthToken: {v}\n"][i]
    return [".npmrc", ".env", ".pypirc", "release.sh", "cfg.json", ".pypirc", ".yarnrc.yml"][i], text, (
        (v, KEY),)


def _heroku_mailgun(g: _Gen, i: int):
    if i < 3:
        v = g.uuid()
        text = [f"HEROKU_API_KEY={v}\n", f'heroku_api_key = "{v}"\n',
                f"machine api.heroku.com\n  login me@acme-corp.io\n  password {v}\n"][i]
        secrets = ((v, KEY),) if i < 2 else ((v, PASSWORD), ("me@acme-corp.io", EMAIL))
        return [".env", "deploy.py", ".netrc"][i], text, secrets
    v = ["key-" + g.s(32, HEX), "key-" + g.s(32, HEX), g.s(32, HEX) + "-" + g.s(8, HEX) + "-" + g.s(8, HEX),
         "key-" + g.s(32, HEX)][i - 3]
    text = [f'MAILGUN_API_KEY = "{v}"\n', f"auth=('api', '{v}')\n", f"MAILGUN_API_KEY={v}\n",
            f"mailgun:\n  key: {v}\n"][i - 3]
    return ["mail.py", "mail.py", ".env", "mail.yml"][i - 3], text, ((v, KEY),)


def _discord_telegram(g: _Gen, i: int):
    if i < 3:
        v = g.pick("MNO") + g.s(23) + "." + g.s(6, B64URL) + "." + g.s(27, B64URL)
        text = [f"client.run('{v}')\n", f"DISCORD_TOKEN={v}\n", f'bot.login("{v}");\n'][i]
        return ["bot.py", ".env", "bot.js"][i], text, ((v, KEY),)
    if i == 3:
        v = g.s(68, B64URL)
        text = f'WEBHOOK = "https://discord.com/api/webhooks/{g.s(18, string.digits)}/{v}"\n'
        return "notify.py", text, ((v, KEY),)
    v = g.s(10, string.digits) + ":AA" + g.s(33, B64URL)
    text = [f"bot = telebot.TeleBot('{v}')\n", f"TELEGRAM_BOT_TOKEN={v}\n",
            f'url = f"https://api.telegram.org/bot{v}/sendMessage"\n'][i - 4]
    return ["tg.py", ".env", "send.py"][i - 4], text, ((v, KEY),)


def _jwt(g: _Gen, i: int):
    v = ".".join([_b64url_json({"alg": g.pick(["HS256", "RS256"]), "typ": "JWT"}),
                  _b64url_json({"sub": g.s(12), "exp": g.rng.randint(1_700_000_000, 1_900_000_000)}),
                  g.s(43, B64URL)])
    text = [f"headers = {{'Authorization': 'Bearer {v}'}}\n", f"TOKEN={v}\n", f"  token: {v}\n",
            f"curl -H 'Authorization: Bearer {v}' https://api.acme-corp.io\n", f'jwt = "{v}"\n',
            f"localStorage.setItem('t', '{v}');\n", f'{{"id_token": "{v}"}}\n'][i]
    return ["api.py", ".env", "c.yml", "call.sh", "t.py", "app.js", "t.json"][i], text, ((v, KEY),)


def _keyword_password(g: _Gen, i: int):
    v = g.password()
    text = [f'password = "{v}"\n', f'DB_PASS = "{v}"\n', f"self.password = '{v}'\n",
            f'login(user="alice", password="{v}")\n', f'  "password": "{v}",\n',
            f"db_password: '{v}'\n", f'conn = psycopg2.connect(host=h, user="app", password="{v}")\n'][i]
    return ["db.py", "db.py", "user.py", "login.py", "cfg.json", "db.yaml", "db.py"][i], text, ((v, PASSWORD),)


def _email(g: _Gen, i: int):
    v = g.pick(["jane.roe", "j.smith", "mario.rossi", "li.wei", "o.petrov"]) + g.s(3, string.digits) + "@" + g.pick(
        ["gmail.com", "acme-corp.io", "proton.me", "uni-heidelberg.de"])
    text = [f"# Author: Jane Roe <{v}>\n", f'__email__ = "{v}"\n', f"Maintainer: {v}\n",
            f'  "author": "Jane <{v}>",\n', f"Signed-off-by: Jane Roe <{v}>\n", f"contact {v} for access\n",
            f'send_mail("hi", body, "{v}", [to])\n'][i]
    return ["mod.py", "pkg/__init__.py", "DESCRIPTION", "package.json", "CHANGES", "README.md", "mail.py"][i], (
        text), ((v, EMAIL),)


def _public_ip(g: _Gen, i: int):
    from codecurate.text.pii import replacement_ip

    v = [f"{g.pick([34, 52, 93, 104, 151])}.{g.rng.randint(1, 254)}.{g.rng.randint(1, 254)}.{g.rng.randint(1, 254)}"
         for _ in range(5)][i % 5] if i < 5 else ["2a03:2880:f12f:83:face:b00c:0:25de", "2606:4700:3033::6815:3e2"][i - 5]
    text = [f'SERVER = "{v}"\n', f"ssh admin@{v}\n", f"server {v}:8080;\n", f"host: {v}\n",
            f"# last login from {v}\n", f'HOST6 = "{v}"\n', f"listen [{v}]:443;\n"][i]
    return ["srv.py", "go.sh", "nginx.conf", "db.yml", "notes.txt", "srv.py", "nginx.conf"][i], text, (
        (v, replacement_ip(v)),)


POSITIVE_FORMS: dict[str, Callable] = {
    "env_default": _env_default,
    "call_kwarg": _call_kwarg,
    "dict_literal": _dict_literal,
    "json_value": _json_value,
    "yaml_value": _yaml_value,
    "toml_value": _toml_value,
    "ini_value": _ini_value,
    "dotenv": _dotenv,
    "dockerfile": _dockerfile,
    "shell": _shell,
    "key_path": _key_path,
    "url_basic_auth": _url_basic_auth,
    "url_query_token": _url_query_token,
    "connection_string": _connection_string,
    "aws_key_id": _aws_key_id,
    "github_token": _github_token,
    "gitlab_slack_stripe": _gitlab_slack_stripe,
    "google": _google,
    "pem_block": _pem_block,
    "twilio_sendgrid": _twilio_sendgrid,
    "npm_pypi_token": _package_tokens,
    "heroku_mailgun": _heroku_mailgun,
    "discord_telegram": _discord_telegram,
    "jwt": _jwt,
    "keyword_password": _keyword_password,
    "email": _email,
    "public_ip": _public_ip,
}


# ---------------------------------------------------------------------------------------------
# near-misses: each returns (path, text)

def _uuid(g: _Gen, i: int):
    v = g.uuid()
    return [("models.py", f'request_id = "{v}"\n'), ("data.json", f'{{"id": "{v}", "name": "x"}}\n'),
            ("db.yml", f"tenant_id: {v}\n"), ("test_api.py", f'idempotency_key = "{v}"\n'),
            ("app.csproj", f"<ProjectGuid>{{{v.upper()}}}</ProjectGuid>\n"),
            ("a.sql", f"INSERT INTO keys (key_id) VALUES ('{v}');\n"),
            ("client.py", f'client_id = "{v}"\n')][i]


def _git_sha(g: _Gen, i: int):
    v = g.s(40, HEX)
    return [(".pre-commit-config.yaml", f"-   repo: https://github.com/psf/black\n    rev: {v}\n"),
            ("Cargo.toml", f'foo = {{ git = "https://github.com/acme/foo", rev = "{v}" }}\n'),
            ("version.py", f'GIT_COMMIT = "{v}"\n'), ("ci.sh", f"git checkout {v}\n"),
            ("deps.json", f'{{"commit": "{v}", "ref": "main"}}\n'),
            ("WORKSPACE", f'git_repository(name = "x", commit = "{v}")\n'),
            ("build.py", f'revision = "{v}"  # pinned commit for the signing key tools\n')][i]


def _hash_digest(g: _Gen, i: int):
    h64, h32 = g.s(64, HEX), g.s(32, HEX)
    sri = base64.b64encode(g.rng.randbytes(48)).decode()
    return [("BUILD.bazel", f'http_archive(name = "zlib", sha256 = "{h64}")\n'),
            ("index.html", f'<script src="x.js" integrity="sha384-{sri}" crossorigin="anonymous"></script>\n'),
            ("files.json", f'{{"path": "a.tar.gz", "checksum": "{h64}"}}\n'),
            ("verify.py", f'EXPECTED_MD5 = "{h32}"\n'),
            ("release.yml", f"  sha256: {h64}\n"),
            ("cache.py", f'cache_key = "{h64}"  # sha256 of the inputs\n'),
            ("formula.rb", f'  sha256 "{h64}"\n')][i]


def _lock_file(g: _Gen, i: int):
    def sri():
        return "sha512-" + base64.b64encode(g.rng.randbytes(64)).decode()

    names = ["left-pad", "lodash", "@babel/core", "react", "chalk"]
    if i == 0:
        deps = {f"node_modules/{n}": {"version": f"1.{k}.0", "resolved": f"https://registry.npmjs.org/{n}/-/{n.split('/')[-1]}-1.{k}.0.tgz",
                                      "integrity": sri()} for k, n in enumerate(names)}
        return "package-lock.json", json.dumps({"name": "app", "lockfileVersion": 3, "packages": deps}, indent=2) + "\n"
    if i == 1:
        return "yarn.lock", "".join(
            f'"{n}@^1.{k}.0":\n  version "1.{k}.3"\n  resolved "https://registry.yarnpkg.com/{n}/-/{n.split("/")[-1]}-1.{k}.3.tgz#{g.s(40, HEX)}"\n'
            f"  integrity {sri()}\n\n" for k, n in enumerate(names))
    if i == 2:
        return "poetry.lock", "".join(
            f'[[package]]\nname = "{n}"\nversion = "2.{k}.1"\nfiles = [\n    {{file = "{n}-2.{k}.1.tar.gz", hash = "sha256:{g.s(64, HEX)}"}},\n]\n\n'
            for k, n in enumerate(["requests", "urllib3", "idna", "certifi"])) + f'[metadata]\ncontent-hash = "{g.s(64, HEX)}"\n'
    if i == 3:
        return "Cargo.lock", "".join(
            f'[[package]]\nname = "{n}"\nversion = "0.{k}.2"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n'
            f'checksum = "{g.s(64, HEX)}"\n\n' for k, n in enumerate(["serde", "tokio", "rand", "secrecy"]))
    if i == 4:
        return "go.sum", "".join(
            f"github.com/acme/{n} v1.{k}.0 h1:{base64.b64encode(g.rng.randbytes(32)).decode()}\n"
            f"github.com/acme/{n} v1.{k}.0/go.mod h1:{base64.b64encode(g.rng.randbytes(32)).decode()}\n"
            for k, n in enumerate(["auth", "token", "keys"]))
    if i == 5:
        return "SHA256SUMS", "".join(f"{g.s(64, HEX)}  app-1.{k}.0-linux-amd64.tar.gz\n" for k in range(5))
    return "Pipfile.lock", json.dumps({"_meta": {"hash": {"sha256": g.s(64, HEX)}}, "default": {
        "cryptography": {"hashes": [f"sha256:{g.s(64, HEX)}" for _ in range(3)], "version": "==42.0.5"},
        "pyjwt": {"hashes": [f"sha256:{g.s(64, HEX)}"], "version": "==2.8.0"}}}, indent=4) + "\n"


def _more_lock_files(g: _Gen, i: int):
    h = g.s(64, HEX)
    return [("Gemfile.lock", f"GEM\n  remote: https://rubygems.org/\n  specs:\n    jwt (2.7.1)\n    bcrypt (3.1.{i})\n\nCHECKSUMS\n  jwt (2.7.1) sha256={h}\n"),
            ("composer.lock", json.dumps({"content-hash": g.s(32, HEX), "packages": [{"name": "firebase/php-jwt", "version": "v6.10.0",
             "dist": {"type": "zip", "url": "https://api.github.com/repos/firebase/php-jwt/zipball/" + g.s(40, HEX),
                      "reference": g.s(40, HEX), "shasum": ""}}]}, indent=4) + "\n"),
            ("pnpm-lock.yaml", f"lockfileVersion: '6.0'\npackages:\n  /jsonwebtoken@9.0.2:\n    resolution: {{integrity: sha512-{base64.b64encode(g.rng.randbytes(64)).decode()}}}\n"),
            ("uv.lock", f'[[package]]\nname = "keyring"\nversion = "25.2.1"\nsdist = {{ url = "https://files.pythonhosted.org/k.tar.gz", hash = "sha256:{h}", size = 62611 }}\n'),
            ("flake.lock", json.dumps({"nodes": {"nixpkgs": {"locked": {"narHash": "sha256-" + base64.b64encode(g.rng.randbytes(32)).decode(),
                                                                            "rev": g.s(40, HEX), "type": "github"}}}}, indent=2) + "\n"),
            ("packages.lock.json", json.dumps({"version": 1, "dependencies": {"net8.0": {"Newtonsoft.Json": {
                "type": "Direct", "resolved": "13.0.3", "contentHash": base64.b64encode(g.rng.randbytes(64)).decode()}}}}, indent=2) + "\n"),
            ("checksums.sha256", f"{h}  secrets-tool_1.{i}.0_amd64.deb\n")][i]


def _version(g: _Gen, i: int):
    v = f"{g.rng.randint(1, 20)}.{g.rng.randint(0, 20)}.{g.rng.randint(0, 99)}.{g.rng.randint(0, 9999)}"
    return [("pkg/__init__.py", f'__version__ = "{v}"\n'), ("package.json", f'{{"version": "{v}"}}\n'),
            ("ua.py", f'UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/{v} Safari/537.36"\n'),
            ("AssemblyInfo.cs", f'[assembly: AssemblyVersion("{v}")]\n'),
            ("req.txt", f"keyring=={v}\n"), ("CHANGES.md", f"## Release {v}\n"),
            ("build.gradle", f"version = '{v}'\n")][i]


def _provider_examples(g: _Gen, i: int):
    # values printed in providers' own documentation, public by design
    return [("aws.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"),
            ("creds", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
            ("s3.py", 'os.environ.get("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")\n'),
            ("pay.py", 'stripe.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"\n'),
            ("jwt.md", "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
                       "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n"),
            ("slack.md", 'token = "xoxb-not-a-real-token-this-will-not-work"\n'),
            ("gh.md", "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")][i]


def _private_ips(g: _Gen, i: int):
    return [("srv.py", 'HOST = "127.0.0.1"\n'), ("net.yml", f"subnet: 10.{g.rng.randint(0, 255)}.0.0/16\n"),
            ("nginx.conf", f"proxy_pass http://192.168.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}:8080;\n"),
            ("hosts", "::1 localhost\nfe80::1%lo0 localhost\n"), ("docker.env", "DB_HOST=172.17.0.2\n"),
            ("doc.md", "Example: 203.0.113.7 and 198.51.100.23 and 2001:db8::42\n"),
            ("bind.py", 'app.run(host="0.0.0.0", port=5000)\n')][i]


def _doc_emails(g: _Gen, i: int):
    return [("README.md", "Contact user@example.com for access.\n"), ("cfg.py", 'ADMIN = "admin@example.org"\n'),
            ("test_mail.py", 'send("noreply@example.net", "hi")\n'), ("t.py", 'EMAIL = "bob@test.example"\n'),
            ("conftest.py", 'USER = {"email": "alice@mail.example.com"}\n'),
            ("remote.sh", "git clone git@github.com:acme/app.git\n"),
            ("url.py", "url = 'https://user@host.acme-corp.io/'\n")][i]


def _dummy_password(g: _Gen, i: int):
    return [("settings.py", 'SECRET_KEY = "dev"\n'), ("test_config.py", 'SECRET_KEY="foo"\n'),
            ("tests.py", 'self.client.login(self, username="test", password="test")\n'),
            ("README.md", 'password: "hunter2"\n'), ("app.ini", "[db]\npassword = changeme\n"),
            ("test_db.py", 'conn = connect(user="postgres", password="postgres")\n'),
            ("docker-compose.yml", "    environment:\n      POSTGRES_PASSWORD: password\n")][i]


def _more_dummies(g: _Gen, i: int):
    return [("fixtures.py", 'password = "***"\n'), ("a.py", 'password = "xxxxxxxx"\n'),
            ("b.py", 'password = ""\n'), ("docs.md", 'password = "<your-password>"\n'),
            ("c.py", 'API_KEY = "your-api-key-here"\n'), ("test_login.py", 'password = "secret123"\n'),
            ("dev.py", "DATABASE_URL = 'postgres://postgres:postgres@localhost:5432/dev'\n")][i]


def _templated(g: _Gen, i: int):
    return [("cfg.yaml", "password: ${DB_PASSWORD}\n"), ("log.py", 'dsn = "host=%(host)s password=%(password)s"\n'),
            ("t.j2", "password = {{ db_password }}\n"), ("s.py", 'password = os.environ["DB_PASSWORD"]\n'),
            ("ci.yml", "      password: ${{ secrets.DOCKER_PASSWORD }}\n"),
            ("a.js", "const apiKey = process.env.API_KEY;\n"),
            ("db.py", 'url = f"postgres://{user}:{password}@{host}/db"\n')][i]


def _credential_identifiers(g: _Gen, i: int):
    return [("settings.py", 'AUTH_USER_MODEL = "accounts.CustomUser"\n'),
            ("oauth.py", 'token_url = "https://oauth2.googleapis.com/token"\n'),
            ("tls.py", 'private_key_path = "/etc/ssl/private/server.key"\n'),
            ("env.py", 'SECRET_ENV_NAME = "AWS_SECRET_ACCESS_KEY"\n'),
            ("settings.py", 'AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.password_validation.'
                            'UserAttributeSimilarityValidator"}]\n'),
            ("api.py", 'API_KEY_HEADER = "X-Api-Key-Authorization"\n'),
            ("nlp.py", 'tokenizer = AutoTokenizer.from_pretrained("bert-base-multilingual-uncased")\n')][i]


def _credential_code(g: _Gen, i: int):
    return [("auth.py", "def check_password(password):\n    return hasher.verify(password, self.password_hash)\n"),
            ("views.py", 'password = form.cleaned_data["password"]\n'),
            ("api.py", 'token = request.headers.get("Authorization", "")\n'),
            ("keys.py", "secret = base64.b64decode(secret_b64)\n"),
            ("store.js", 'const token = localStorage.getItem("accessTokenStorageKey");\n'),
            ("pem.py", 'BEGIN = "-----BEGIN RSA PRIVATE KEY-----"\nEND = "-----END RSA PRIVATE KEY-----"\n'),
            ("cache.py", 'key = f"{prefix}:{user_id}:{version}"\n')][i]


def _public_material(g: _Gen, i: int):
    if i < 3:
        label = ["PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST"][i]
        return f"cert{i}.pem", g.pem(label) + "\n"
    return [("authorized_keys", f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{g.s(300, B64)} deploy@build\n"),
            ("pay.js", f"const stripe = Stripe('pk_live_{g.s(24)}');\n"),
            ("oauth.json", f'{{"client_id": "{g.s(12, string.digits)}-{g.s(32, LOWER_ALNUM)}.apps.googleusercontent.com"}}\n'),
            ("known_hosts", f"github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.s(43, B64)}\n")][i - 3]


def _identifiers_in_context(g: _Gen, i: int):
    return [("a.py", 'key_algorithm = "RSASSA_PKCS1_V1_5_SHA_256"\n'),
            ("b.py", 'TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"\n'),
            ("c.py", 'secret_name = "prod/payments/stripe-webhook-signing"\n'),
            ("d.yml", "auth_method: client_secret_basic\n"),
            ("e.py", 'PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]\n'),
            ("f.py", 'API_KEY_ENV = "OPENAI_API_KEY"  # read at start-up\n'),
            ("g.ts", 'export const TOKEN_STORAGE_KEY = "com.acme.app.auth.refreshToken";\n')][i]


def _key_path_near(g: _Gen, i: int):
    # blocks named for credentials holding names, settings, colours, ids and digests
    return [("deploy.yml", "credentials:\n  username: deploy\n  region: eu-west-1\n  expires: 2025-12-31T23:59:59Z\n"),
            ("app.ini", "[auth]\nbackend = django.contrib.auth.backends.ModelBackend\nlogin_url = /accounts/login/\n"),
            ("theme.json", '{\n  "tokens": {\n    "colorPrimary": "#1a2b3c",\n    "fontFamilyHeading": "InterVariable"\n  }\n}\n'),
            ("lexer.py", "tokens = {\n    'root': [\n        (r'\"', String, 'string-double-pop2'),\n    ],\n}\n"),
            ("svc.yaml", "secrets:\n  - name: DATABASE_URL\n    valueFrom: projects/acme/secrets/database-url\n"),
            ("ids.toml", f'[keys]\nrequest_id = "{g.uuid()}"\n'),
            ("keys.yml", f"private:\n  checksum: {g.s(64, HEX)}\n")][i]


def _charset_constant(g: _Gen, i: int):
    return [("b64.py", 'ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"\n'),
            ("id.py", 'KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"\n'),
            ("hex.c", 'static const char hex_digits[] = "0123456789abcdef";\n'),
            ("aes_test.py", 'key = "000102030405060708090a0b0c0d0e0f"\n'),
            ("t.py", 'TOKEN_PATTERN = r"[A-Za-z0-9_-]{20,}"\n'),
            ("u.py", 'SECRET_KEY = "abcdefghijklmnopqrstuvwxyz"\n'),
            ("v.py", 'password = "1234567890"\n')][i]


def _url_placeholder(g: _Gen, i: int):
    return [("README.md", "curl https://api.acme-corp.io/v1/items?api_key=YOUR_API_KEY\n"),
            ("docs.md", "https://api.acme-corp.io/v1?token=<token>&page=1\n"),
            ("ci.yml", "  - git clone https://x-access-token:${GITHUB_TOKEN}@github.com/acme/app.git\n"),
            ("a.md", "postgres://user:password@localhost:5432/dbname\n"),
            ("b.md", "redis://:***@cache:6379\n"),
            ("c.py", 'url = "https://%s:%s@%s/" % (user, password, host)\n'),
            ("d.md", "Set `API_TOKEN=<paste your token here>` in `.env`.\n")][i]


def _hex_constants(g: _Gen, i: int):
    return [("a.c", f"#define MAGIC 0x{g.s(16, HEX).upper()}ULL\n"), ("b.css", ".btn { color: #1a2b3c; }\n"),
            ("c.py", f"PRIME = 0x{g.s(64, HEX)}\n"), ("d.go", f'const seed = "{g.s(16, string.digits)}"\n'),
            ("e.py", f"SALT_ROUNDS = 12  # key stretching rounds for {g.s(8, string.ascii_lowercase)}\n"),
            ("f.sql", f"SELECT * FROM t WHERE token_id = {g.s(12, string.digits)};\n"),
            ("g.js", f"const keyCode = 0x{g.s(4, HEX)};\n")][i]


def _doc_placeholder(g: _Gen, i: int):
    return [("README.md", "export OPENAI_API_KEY=sk-...\n"), ("README.md", 'api_key: "YOUR_API_KEY_HERE"\n'),
            ("docs.md", "token = '<your-token>'\n"), ("cfg.sample", "SECRET_KEY=replace-me-with-a-long-random-string\n"),
            ("env.example", "AWS_SECRET_ACCESS_KEY=\n"), ("setup.md", 'password = "REDACTED"\n'),
            ("app.env.example", "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n")][i]


def _numbers_and_ids(g: _Gen, i: int):
    return [("a.py", f'account_id = "{g.s(12, string.digits)}"\n'),
            ("b.tf", f'role_arn = "arn:aws:iam::{g.s(12, string.digits)}:role/deploy-keys"\n'),
            ("c.py", f"token_expiry_seconds = {g.s(5, string.digits)}\n"),
            ("d.json", '{"key": "ui.button.submit", "value": "Submit"}\n'),
            ("e.yml", f"secret_name: projects/{g.s(10, string.digits)}/secrets/db-password/versions/latest\n"),
            ("f.py", 'KEY_ID = "projects/acme/locations/global/keyRings/prod/cryptoKeys/signing"\n'),
            ("g.py", f"PHONE = '+1-202-555-0{g.s(3, string.digits)}'\n")][i]


def _encoded_binaries(g: _Gen, i: int):
    return [("logo.svg", f'<image href="data:image/png;base64,iVBORw0KGgo{g.s(60, B64)}"/>\n'),
            ("font.css", f"src: url(data:font/woff2;base64,d09GMgABAAAAA{g.s(80, B64)}) format('woff2');\n"),
            ("a.md", f"![badge](https://img.shields.io/badge/build-passing-green.svg?sha={g.s(7, HEX)})\n"),
            ("b.ipynb", '"execution_count": 12,\n'),
            ("c.xml", f'<Signature Id="sig-{g.s(8, HEX)}" Algorithm="rsa-sha256"/>\n'),
            ("d.gitmodules", "[submodule \"keys\"]\n\tpath = vendor/keys\n\turl = https://github.com/acme/keys.git\n"),
            ("e.txt", f"Build {g.s(7, HEX)} signed with key fingerprint {':'.join(g.s(2, HEX) for _ in range(16))}\n")][i]


NEAR_MISS_FORMS: dict[str, Callable] = {
    "uuid": _uuid,
    "git_sha": _git_sha,
    "hash_digest": _hash_digest,
    "lock_file": _lock_file,
    "lock_file_more": _more_lock_files,
    "version_string": _version,
    "provider_doc_example": _provider_examples,
    "private_ip": _private_ips,
    "doc_email": _doc_emails,
    "dummy_password": _dummy_password,
    "dummy_value": _more_dummies,
    "templated_value": _templated,
    "credential_identifier": _credential_identifiers,
    "credential_code": _credential_code,
    "public_key_material": _public_material,
    "identifier_in_context": _identifiers_in_context,
    "key_path_near": _key_path_near,
    "charset_constant": _charset_constant,
    "url_placeholder": _url_placeholder,
    "hex_constant": _hex_constants,
    "doc_placeholder": _doc_placeholder,
    "number_and_id": _numbers_and_ids,
    "encoded_binary": _encoded_binaries,
}


def cases() -> list[Case]:
    out = []
    for form, make in POSITIVE_FORMS.items():
        for i in range(CASES_PER_FORM):
            path, text, secrets = make(_Gen(f"pos:{form}:{i}"), i)
            out.append(Case(form, i, path, text, tuple(secrets)))
    for form, make in NEAR_MISS_FORMS.items():
        for i in range(CASES_PER_FORM):
            path, text = make(_Gen(f"neg:{form}:{i}"), i)
            out.append(Case(form, i, path, text))
    return out


def outcome(case: Case, redacted: str) -> str:
    """"caught" (every secret replaced by its placeholder and nothing else changed), "inexact"
    (every secret gone, but other text changed too or another placeholder used), "missed";
    for a near-miss "unchanged" or "changed" (a false positive)."""
    if not case.positive:
        return "unchanged" if redacted == case.text else "changed"
    if any(value in redacted for value, _ in case.secrets):
        return "missed"
    return "caught" if redacted == case.expected() else "inexact"


LOCK_FORMS = ("lock_file", "lock_file_more")
