// sovfund's pages: poll a running job, then draw its charts (plotly.js, served locally).
"use strict";

(function () {
  const job = document.getElementById("job");
  if (!job) return;
  const status = job.dataset.status;
  if (status === "queued" || status === "running") {
    const url = job.dataset.statusUrl;
    const progress = document.getElementById("progress");
    const done = document.getElementById("done");
    const state = document.getElementById("state");
    const poll = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          progress.value = data.done;
          progress.max = data.total;
          done.textContent = data.done.toLocaleString("en-US");
          if (data.status === "running") state.textContent = "Running";
          if (data.status === "done" || data.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, 500);
          }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 300);
    return;
  }
  const data = document.getElementById("chart-data");
  if (data && window.Plotly) {
    const config = { displaylogo: false, responsive: true, scrollZoom: false };
    JSON.parse(data.textContent).forEach(function (chart) {
      const element = document.getElementById("chart-" + chart.id);
      if (element) {
        window.Plotly.newPlot(element, chart.figure.data, chart.figure.layout, config);
      }
    });
  }
})();
