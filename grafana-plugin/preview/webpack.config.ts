// The preview host's browser bundle: the plugin's pages and panels with the real @grafana/ui,
// data and runtime bundled in (Grafana provides them to the plugin; outside Grafana nobody does),
// and @grafana/runtime's PluginPage replaced by the preview's page chrome (runtime.tsx). Built
// into preview/dist/ (or TWINOPS_PREVIEW_OUT) by `npm run build:preview` / preview/build.mjs.
import path from 'path';
import webpack, { type Configuration } from 'webpack';

const root = path.resolve(__dirname, '..');
const previewSrc = path.join(__dirname, 'src');
const runtimeShim = path.join(previewSrc, 'runtime.tsx');

const config = (env: Record<string, unknown> = {}): Configuration => {
  const production = Boolean(env.production);
  return {
    mode: production ? 'production' : 'development',
    context: root,
    entry: { preview: path.join(previewSrc, 'index.tsx') },
    devtool: production ? false : 'eval-source-map',
    output: {
      path: process.env.TWINOPS_PREVIEW_OUT ?? path.join(__dirname, 'dist'),
      publicPath: '/preview/assets/',
      filename: '[name].js',
      chunkFilename: '[name].[contenthash:10].js',
      assetModuleFilename: '[name].[contenthash:10][ext]',
      clean: true,
    },
    performance: { hints: false },
    module: {
      rules: [
        {
          exclude: /node_modules/,
          test: /\.[tj]sx?$/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                baseUrl: path.join(root, 'src'),
                target: 'es2020',
                parser: { syntax: 'typescript', tsx: true, dynamicImport: true },
              },
            },
          },
        },
        // Some ESM dependencies import without file extensions.
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        { test: /\.(png|jpe?g|gif|svg|woff2?|eot|ttf|otf)$/, type: 'asset/resource' },
      ],
    },
    resolve: {
      extensions: ['.js', '.jsx', '.ts', '.tsx', '.mjs'],
      modules: [path.join(root, 'src'), 'node_modules'],
    },
    plugins: [
      // Every import of @grafana/runtime gets the preview's module, which re-exports the real one
      // (its own import is left alone) with PluginPage replaced.
      new webpack.NormalModuleReplacementPlugin(/^@grafana\/runtime$/, (resource) => {
        if (resource.contextInfo?.issuer !== runtimeShim) {
          resource.request = runtimeShim;
        }
      }),
    ],
  };
};

export default config;
