// examples/query-page.html's script: simage/model's browser module (dist-model/simage-model.js, one ES module with
// tfjs inside, built by npm install) opens the picked model file and answers each picked image.
import { openModel } from '../dist-model/simage-model.js';

const $ = (id) => document.getElementById(id);
let model = null;

$('model').onchange = async (e) => {
  $('status').textContent = 'Opening…';
  model?.dispose();
  model = null;
  $('image').disabled = true;
  try {
    // A file without the base network reads it from a simage deployment: here, this server's root.
    model = await openModel(e.target.files[0], { simageBase: new URL('/', location.href).href });
    $('status').textContent = `${model.manifest.shard.name}: ${model.manifest.references.length} references. Pick an image.`;
    $('image').disabled = false;
  } catch (err) {
    $('status').textContent = err.message;
  }
};

$('image').onchange = async (e) => {
  try {
    const { neighbours, labels } = await model.query(e.target.files[0], { top: 10 });
    $('status').textContent = `Labels: ${
      labels
        .slice(0, 5)
        .map((l) => l.name)
        .join(', ') || 'none'
    }`;
    $('out').replaceChildren(
      ...neighbours.map((n) => Object.assign(document.createElement('li'), { textContent: `${n.id} (${n.score.toFixed(3)})` })),
    );
  } catch (err) {
    $('status').textContent = err.message;
  }
};
