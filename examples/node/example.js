// Issue, Sign, Status and WatchCertificate against a grpca server from Node, with the .proto files
// loaded at run time (@grpc/proto-loader). Usage:
//   node example.js --address localhost:8443 --ca-file ../../var/dev/ca.pem \
//     --token-file ../../var/dev/admin.token --dns node.example.com --csr node.csr --out out
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function options(argv) {
  const o = {};
  for (let i = 2; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      throw new Error(`expected --name value pairs, got '${argv[i]}'`);
    }
    o[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['address', 'ca-file', 'token-file', 'dns', 'out']) {
    if (!o[required]) throw new Error(`--${required} is required`);
  }
  return o;
}

// Whole or not at all: written beside its place, then renamed over it.
function write(file, text, mode = 0o644) {
  fs.writeFileSync(file + '.next', text, { mode });
  fs.renameSync(file + '.next', file);
}

function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 30000);
    client[method](request, { deadline }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

async function main() {
  const o = options(process.argv);
  const protoRoot = path.join(__dirname, '..', '..', 'proto', 'src', 'main', 'proto');
  const definition = protoLoader.loadSync('grpca/v1/certificate_service.proto', {
    includeDirs: [protoRoot],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
  });
  const grpca = grpc.loadPackageDefinition(definition).grpca.v1;
  const token = fs.readFileSync(o['token-file'], 'utf8').trim();
  const credentials = grpc.credentials.combineChannelCredentials(
    grpc.credentials.createSsl(fs.readFileSync(o['ca-file'])),
    grpc.credentials.createFromMetadataGenerator((_, callback) => {
      const metadata = new grpc.Metadata();
      metadata.add('authorization', `Bearer ${token}`);
      callback(null, metadata);
    }),
  );
  const certificates = new grpca.CertificateService(o.address, credentials);
  fs.mkdirSync(o.out, { recursive: true });

  // Issue: the CA makes the key and returns it once.
  const issued = await unary(certificates, 'Issue', {
    profile: 'default',
    subject: { commonName: o.dns },
    dnsNames: [o.dns],
  });
  const cert = issued.certificate;
  write(path.join(o.out, 'cert.pem'), cert.certificatePem);
  write(path.join(o.out, 'chain.pem'), cert.chainPem);
  write(path.join(o.out, 'key.pem'), issued.privateKeyPem, 0o600);
  console.log('issued', cert.serialNumber);

  // Sign: the key stays with the caller.
  if (o.csr) {
    const signed = await unary(certificates, 'Sign', {
      profile: 'default',
      csrPem: fs.readFileSync(o.csr, 'utf8'),
    });
    write(path.join(o.out, 'signed.pem'), signed.certificate.certificatePem);
    console.log('signed', signed.certificate.serialNumber);
  }

  const status = await unary(certificates, 'Status', { serialNumbers: [cert.serialNumber] });
  for (const s of status.statuses) console.log('status', s.serialNumber, s.state);

  // Watch it: the current certificate first, then what happens to it (here, its revocation).
  await new Promise((resolve, reject) => {
    const watch = certificates.WatchCertificate({ serialNumber: cert.serialNumber });
    watch.on('data', async (event) => {
      console.log('watch', event.kind, event.certificate.serialNumber);
      if (event.kind === 'CERTIFICATE_EVENT_KIND_CURRENT') {
        await unary(certificates, 'Revoke', {
          serialNumber: cert.serialNumber,
          reason: 'REVOCATION_REASON_SUPERSEDED',
        }).catch(reject);
      } else if (event.kind === 'CERTIFICATE_EVENT_KIND_REVOKED') {
        watch.cancel();
        resolve();
      }
    });
    watch.on('error', (err) => (err.code === grpc.status.CANCELLED ? resolve() : reject(err)));
    setTimeout(() => reject(new Error('no revocation event within 20 s')), 20000).unref();
  });

  // A refused call: the status code and the server's message name the field.
  try {
    await unary(certificates, 'Sign', { profile: 'default', csrPem: 'not a CSR' });
  } catch (err) {
    console.log('refused', grpc.status[err.code], err.details);
  }
  certificates.close();
}

main().catch((err) => {
  console.error('error:', err.message);
  process.exit(1);
});
