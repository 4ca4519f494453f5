// Extends the scaffold's webpack config (.config/ is not edited, as create-plugin asks): the
// nested plugins' logos are copied next to their plugin.json, where Grafana looks for them.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

const config = async (env: Env): Promise<Configuration> => {
  const base = await grafanaConfig(env);
  return {
    ...base,
    plugins: [
      ...(base.plugins ?? []),
      new CopyWebpackPlugin({
        patterns: [
          { from: 'panels/*/img/*', to: '.' },
          { from: 'datasource/img/*', to: '.' },
        ],
      }),
    ],
  };
};

export default config;
