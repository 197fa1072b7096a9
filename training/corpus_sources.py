"""The packages the training corpus is drawn from.

Only packages whose licence is checked as permissive at fetch time are used (see corpus.py); a name listed here is
a candidate, not a promise. Debian library packages (Go and Rust sources) are selected by a fixed rule in
corpus.py rather than listed.
"""

NPM = """
typescript @types/node @types/react @types/vscode @types/lodash @types/express @types/jest @types/mocha
vscode-languageserver vscode-languageserver-protocol vscode-languageserver-types vscode-jsonrpc vscode-languageclient
vscode-uri vscode-languageserver-textdocument @vscode/debugadapter @vscode/debugprotocol
rxjs lodash lodash-es underscore ramda immutable immer zod yup joi superstruct valibot io-ts fp-ts effect
@effect/schema ts-pattern neverthrow type-fest utility-types @sinclair/typebox ajv ajv-formats
express koa @koa/router fastify @fastify/static hapi @hapi/hapi restify connect body-parser cookie-parser
morgan helmet cors multer passport jsonwebtoken bcryptjs
@nestjs/core @nestjs/common @nestjs/platform-express inversify tsyringe typedi reflect-metadata
typeorm sequelize mongoose knex pg mysql2 ioredis redis bull bullmq kafkajs amqplib mqtt nats
graphql @graphql-tools/schema @graphql-tools/utils apollo-server-core @apollo/client @apollo/server
socket.io socket.io-client engine.io ws undici node-fetch axios got ky superagent cross-fetch
commander yargs minimist chalk debug semver uuid nanoid dotenv glob minimatch fast-glob chokidar fs-extra
rimraf mkdirp tar archiver yauzl pako fflate long bignumber.js decimal.js big.js mathjs
moment dayjs date-fns luxon
react react-dom preact vue @vue/runtime-core @vue/reactivity @vue/compiler-core @vue/compiler-sfc
@vue/runtime-dom svelte solid-js lit @lit/reactive-element lit-html lit-element
@angular/core @angular/common @angular/compiler @angular/forms @angular/router zone.js
redux @reduxjs/toolkit react-redux mobx mobx-react-lite zustand jotai xstate swr
@tanstack/query-core @tanstack/react-query @tanstack/table-core @tanstack/router-core
react-router @remix-run/router react-hook-form formik styled-components @emotion/react @emotion/styled
@mui/material @mui/system @mui/base antd @ant-design/icons-svg rc-util rc-table bootstrap jquery backbone
knockout three @babylonjs/core pixi.js phaser cannon-es matter-js konva fabric paper
d3 d3-array d3-scale d3-shape d3-selection d3-geo d3-hierarchy d3-force chart.js echarts zrender
leaflet ol maplibre-gl @turf/turf proj4 topojson-client
monaco-editor codemirror @codemirror/view @codemirror/state @codemirror/language @codemirror/commands
@codemirror/autocomplete @lezer/common @lezer/lr @lezer/javascript prosemirror-model prosemirror-state
prosemirror-view prosemirror-transform @tiptap/core xterm @xterm/xterm quill slate
webpack webpack-dev-server rollup vite esbuild-wasm parcel @babel/core @babel/parser @babel/traverse
@babel/types @babel/generator @babel/helpers @babel/preset-env @babel/plugin-transform-runtime
acorn acorn-walk espree esquery eslint @eslint/js @typescript-eslint/parser @typescript-eslint/utils
@typescript-eslint/typescript-estree @typescript-eslint/eslint-plugin eslint-plugin-react prettier
terser uglify-js postcss autoprefixer tailwindcss less stylus sass-loader css-loader style-loader
jest jest-circus expect @jest/core mocha chai sinon jasmine-core vitest @vitest/runner ava tap
playwright-core puppeteer-core jsdom cheerio htmlparser2 parse5 domhandler dom-serializer
marked markdown-it remark-parse mdast-util-from-markdown unified micromark highlight.js prismjs shiki
handlebars ejs pug mustache nunjucks liquidjs
ts-morph @ts-morph/common typescript-language-server tsx ts-node tslib core-js regenerator-runtime
protobufjs @grpc/grpc-js @grpc/proto-loader google-protobuf @bufbuild/protobuf
@aws-sdk/client-s3 @aws-sdk/client-dynamodb @smithy/smithy-client @azure/core-rest-pipeline
@azure/storage-blob @google-cloud/storage firebase-admin @firebase/firestore openai @anthropic-ai/sdk
@octokit/rest @octokit/core discord.js telegraf stripe
electron-builder app-builder-lib electron-updater node-pty ssh2 dockerode
pdfjs-dist pdf-lib hls.js video.js dashjs howler tone
dexie idb localforage pouchdb-core lowdb sql.js kysely drizzle-orm @prisma/client prisma
immer rxdb @tensorflow/tfjs-core @tensorflow/tfjs-layers brain.js natural compromise ml-matrix
yaml js-yaml toml @iarna/toml ini csv-parse papaparse xml2js fast-xml-parser sax
winston pino bunyan log4js
inquirer prompts @inquirer/core ora cli-progress blessed ink
npm-registry-fetch pacote @npmcli/arborist @npmcli/config npm-package-arg
@lerna/core nx @nx/devkit turbo @changesets/cli
zx execa cross-spawn shelljs which
source-map source-map-js magic-string estree-walker @rollup/pluginutils
lru-cache quick-lru p-limit p-queue async bluebird eventemitter3 mitt
crypto-js jose node-forge tweetnacl elliptic bn.js
sharp jimp canvas qrcode
"""

# Debian python3-* packages (Python sources under /usr/lib/python3/dist-packages).
DEB_PYTHON = """
python3-django python3-numpy python3-scipy python3-pandas python3-sklearn python3-sympy python3-sqlalchemy
python3-twisted python3-requests python3-flask python3-werkzeug python3-jinja2 python3-click python3-attr
python3-pytest python3-setuptools python3-pip python3-matplotlib python3-networkx python3-pygments
python3-sphinx python3-botocore python3-boto3 python3-tornado python3-aiohttp python3-yaml python3-dateutil
python3-babel python3-cryptography python3-celery python3-kombu python3-redis python3-pydantic python3-fastapi
python3-starlette python3-httpx python3-urllib3 python3-rich python3-mypy python3-jedi python3-parso
python3-pyflakes python3-pycodestyle python3-black python3-isort python3-numba python3-dask python3-distributed
python3-xarray python3-statsmodels python3-skimage python3-h5py python3-tables python3-bokeh python3-seaborn
python3-nltk python3-ipython python3-traitlets python3-zmq python3-pil python3-scrapy python3-alembic
python3-marshmallow python3-pyparsing python3-packaging python3-pexpect python3-psutil python3-bs4
python3-html5lib python3-markdown python3-mock python3-testtools python3-pyasn1 python3-reportlab
python3-openpyxl python3-xlrd python3-sqlparse python3-simplejson python3-msgpack python3-protobuf
python3-oauthlib python3-jwt python3-passlib python3-nacl python3-cffi python3-pybind11 python3-nova
python3-neutron python3-cinder python3-keystone python3-glance python3-heat python3-swift python3-oslo.config
python3-oslo.db python3-oslo.messaging python3-sqlalchemy-utils python3-django-filters python3-djangorestframework
python3-jsonschema python3-attrs python3-pluggy python3-pytest-mock python3-hypothesis python3-fsspec
python3-toolz python3-cloudpickle python3-joblib python3-numexpr python3-pyarrow python3-websockets
python3-async-timeout python3-yarl python3-multidict python3-aiofiles python3-anyio python3-sniffio
python3-trio python3-gevent python3-greenlet python3-eventlet python3-paste python3-webob python3-pyramid
python3-falcon python3-bottle python3-cherrypy3 python3-waitress python3-gunicorn python3-uvicorn
python3-sphinx-rtd-theme python3-docker python3-kubernetes python3-google-auth python3-googleapi
python3-azure python3-openstackclient python3-novaclient python3-keystoneauth1 python3-stevedore python3-cliff
python3-tz python3-regex python3-lxml python3-numpydoc python3-nbformat python3-nbconvert python3-jupyter-client
python3-notebook python3-ipykernel python3-torch python3-astropy python3-biopython python3-shapely
python3-pyproj python3-geopandas python3-fiona python3-rasterio python3-pywt python3-imageio python3-tifffile
"""

# Other Debian packages with permissive sources or headers.
DEB_OTHER = """
libpython3.11-stdlib libpython3.11-testsuite golang-1.19-src rust-src libboost1.81-dev libabsl-dev
nlohmann-json3-dev libfmt-dev libspdlog-dev catch2 rapidjson-dev libglm-dev libgtest-dev libbenchmark-dev
libprotobuf-dev libgrpc++-dev llvm-14-dev libclang-14-dev libtbb-dev libre2-dev libcurl4-openssl-dev
zlib1g-dev libssl-dev libxxhash-dev libstb-dev libcxxopts-dev libuv1-dev libsqlite3-dev libjsoncpp-dev
libyaml-cpp-dev libmsgpack-dev libpugixml-dev libtinyxml2-dev libcli11-dev libtsl-robin-map-dev
libcereal-dev libdouble-conversion-dev libgflags-dev libgoogle-glog-dev libsimdjson-dev libopencv-core-dev
libopencv-imgproc-dev libopencv-dev libhiredis-dev libevent-dev libflatbuffers-dev libarrow-dev
libthrift-dev libzmq3-dev libmsgsl-dev libexpected-dev librange-v3-dev libmagic-enum-dev libutfcpp-dev
"""


def names(block: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in block.split():
        seen.setdefault(name, None)
    return list(seen)
