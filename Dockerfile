# Production image of vitd-bot: a slim Python base, the app in a virtualenv, run as a
# non-root user. Build with `docker compose build` (see docs/PRODUCTION.md).
#
# Layer caching: the third-party dependencies are installed from pyproject.toml alone,
# before any source is copied, so editing the code or the content rebuilds only the
# small layers at the end. The dependency list is read with tomllib (standard library
# in 3.11) rather than by `pip install .` on a stub package: that way the layer depends
# on nothing but the `[project] dependencies` array and no fake package can leak in.

FROM python:3.11-slim-bookworm AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The app itself is built into a wheel in a throwaway stage, so the final image holds
# neither the build tree nor a second copy of the sources.
FROM deps AS wheel
COPY README.md ./
COPY bot ./bot
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    CONTENT_DIR=/app/content \
    LOG_FORMAT=json \
    XDG_CACHE_HOME=/app/data/cache
RUN groupadd --system --gid 10001 vitd \
    && useradd --system --uid 10001 --gid vitd --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin vitd
COPY --from=deps /opt/venv /opt/venv
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels
WORKDIR /app
COPY content ./content
# The SQLite default (data/bot.db) needs a writable folder; PostgreSQL ignores it. The FAQ
# classifier's trained weights are kept there too (XDG_CACHE_HOME), so a restart does not retrain.
RUN mkdir /app/data && chown vitd:vitd /app/data
USER 10001:10001
EXPOSE 8080
CMD ["vitd-bot", "run"]
