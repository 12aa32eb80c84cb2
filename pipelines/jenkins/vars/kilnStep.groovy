// kilnStep runs one kiln step in a Jenkins pipeline and returns kiln.env as a map
// (KILN_IMAGE_ID, KILN_IMAGE_NAME, KILN_TEST_STATUS, KILN_OUTPUT_<ENV>_<NAME>, ...).
//
//   @Library('kiln') _
//   def kiln = kilnStep('bake')
//   kilnStep('deploy-dev', args: ['--environment', 'dev'])
//   kilnStep('promote', vaultRoleId: 'kiln-vault-role-id', vaultSecretId: 'kiln-vault-secret-id')
//
// Options:
//   args           more flags for kiln-<step> (a list; each entry is one argument)
//   config         path of kiln.yaml (KILN_CONFIG), default kiln.yaml
//   binDir         the directory of the kiln binaries (KILN_BIN_DIR), default: PATH
//   vaultRoleId    Jenkins secret-text credential id bound to VAULT_ROLE_ID (AppRole)
//   vaultSecretId  Jenkins secret-text credential id bound to VAULT_SECRET_ID (AppRole)
//   stash          stash the record (kiln-image.json, kiln.env) as 'kiln-record' (default true)
//   archive        archive the record (and the JUnit report) as build artifacts (default false)
//
// The shell command is single-quoted: step, flags and paths reach it as environment
// variables, never through Groovy string interpolation.
def call(Map opts = [:], String step) {
  def known = ['validate', 'bake', 'deploy-dev', 'test', 'promote', 'destroy-dev']
  if (!known.contains(step)) {
    error "kilnStep: unknown step '${step}': want one of ${known.join(', ')}"
  }
  def vars = [
    "KILN_STEP=${step}",
    "KILN_CONFIG=${opts.config ?: 'kiln.yaml'}",
    "KILN_STEP_ARGS=${(opts.args ?: []).join('\n')}",
  ]
  if (opts.binDir) {
    vars << "KILN_BIN_DIR=${opts.binDir}"
  }
  def run = {
    withEnv(vars) {
      sh label: "kiln-${step}", script: '''
        set -euf
        exe="kiln-$KILN_STEP"
        if [ -n "${KILN_BIN_DIR:-}" ]; then exe="$KILN_BIN_DIR/kiln-$KILN_STEP"; fi
        IFS='
'
        set -- $KILN_STEP_ARGS
        exec "$exe" "$@"
      '''
    }
  }
  try {
    if (opts.vaultRoleId && opts.vaultSecretId) {
      withCredentials([
        string(credentialsId: opts.vaultRoleId, variable: 'VAULT_ROLE_ID'),
        string(credentialsId: opts.vaultSecretId, variable: 'VAULT_SECRET_ID'),
      ]) {
        run()
      }
    } else {
      run()
    }
  } finally {
    if (opts.archive) {
      archiveArtifacts artifacts: 'kiln-image.json,kiln.env,kiln-junit.xml', allowEmptyArchive: true, fingerprint: true
    }
    if (step == 'test' && fileExists('kiln-junit.xml')) {
      junit testResults: 'kiln-junit.xml'
    }
  }
  if (opts.stash != false && fileExists('kiln-image.json')) {
    stash name: 'kiln-record', includes: 'kiln-image.json,kiln.env', allowEmpty: true
  }
  return fileExists('kiln.env') ? readProperties(file: 'kiln.env') : [:]
}
